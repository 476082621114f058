import type { Dataset } from '../dataset/dataset.ts';
import { SERVER_KINDS } from '../harness/processes.ts';
import { fmt, fmtSpread, spread } from '../harness/stats.ts';
import type { PagesResult } from '../workloads/history-pages.ts';
import { med, summaryRow as row, SERVER_LABEL, type SummaryRow } from './table.ts';

/** Workloads 1-3 in the summary table. */
export function pagesSummary(pages: PagesResult, dataset: Dataset): SummaryRow[] {
  const { firstPage, equalRate, deep, withCount } = pages;
  return [
    row(
      '1',
      'myExecutions(first: 20), hot pair, RLS',
      'throughput O/P',
      '≥ 1.2',
      fmtSpread(firstPage.promptmeterOver.postgraphile),
      firstPage.promptmeterOver.postgraphile.median >= 1.2,
    ),
    row(
      '1',
      '',
      'throughput O/F',
      '≥ 0.5',
      fmtSpread(firstPage.promptmeterOver.floor),
      firstPage.promptmeterOver.floor.median >= 0.5,
    ),
    row(
      '1',
      '',
      `p99 at max throughput, ms (F / P / O, absolute)`,
      '',
      SERVER_KINDS.map((s) => fmt(med(firstPage.windows[s], 'p99').median, 1)).join(' / '),
      null,
    ),
    row(
      '1',
      '',
      `CPU per request O/P at an equal ${equalRate.rate} req/s`,
      '',
      fmtSpread(equalRate.cpuPromptmeterOver.postgraphile),
      null,
    ),
    row(
      '1',
      '',
      `CPU per request O/F at an equal ${equalRate.rate} req/s`,
      '',
      fmtSpread(equalRate.cpuPromptmeterOver.floor),
      null,
    ),
    row(
      '1',
      '',
      'CPU µs per request (F / P / O, absolute)',
      '',
      SERVER_KINDS.map((s) => fmt(spread(equalRate.cpuPerRequest[s]).median, 0)).join(' / '),
      null,
    ),
    row(
      '2',
      `deep page (cursor ${dataset.deepOffset} rows in)`,
      'O latency deep/first, p50',
      '≤ 1.2',
      fmtSpread(deep.p50Ratio.promptmeter),
      deep.p50Ratio.promptmeter.median <= 1.2,
    ),
    row(
      '2',
      '',
      'same for F / P (p50)',
      '',
      `${fmt(deep.p50Ratio.floor.median)} / ${fmt(deep.p50Ratio.postgraphile.median)}`,
      null,
    ),
    row(
      '3',
      'first page + totalCount',
      'throughput O/P',
      '≥ 5',
      fmtSpread(withCount.promptmeterOver.postgraphile),
      withCount.promptmeterOver.postgraphile.median >= 5,
    ),
    row('3', '', 'throughput O/F', '', fmtSpread(withCount.promptmeterOver.floor), null),
  ];
}

/** Workloads 1-3 in "Details": one table per workload, one line per server. */
export function pagesDetails(pages: PagesResult): string[] {
  const lines = [
    '',
    '## Details',
    '',
    '### 1. First page, closed loop',
    '',
    '| server | req/s | p50 ms | p99 ms |',
    '|---|---|---|---|',
  ];
  for (const server of SERVER_KINDS) {
    const w = pages.firstPage.windows[server];
    lines.push(
      `| ${SERVER_LABEL[server]} | ${fmtSpread(med(w, 'rps'), 0)} | ${fmtSpread(med(w, 'p50'), 1)} | ${fmtSpread(med(w, 'p99'), 1)} |`,
    );
  }
  lines.push(
    '',
    `### 1. First page at an equal ${pages.equalRate.rate} req/s`,
    '',
    '| server | req/s held | CPU µs/request | p50 ms | p99 ms |',
    '|---|---|---|---|---|',
  );
  for (const server of SERVER_KINDS) {
    const w = pages.equalRate.windows[server];
    lines.push(
      `| ${SERVER_LABEL[server]} | ${fmtSpread(med(w, 'rps'), 0)} | ${fmtSpread(spread(pages.equalRate.cpuPerRequest[server]), 0)} | ${fmtSpread(med(w, 'p50'), 1)} | ${fmtSpread(med(w, 'p99'), 1)} |`,
    );
  }
  lines.push(
    '',
    '### 2. Deep page against first page, one connection',
    '',
    '| server | first p50 ms | deep p50 ms | deep/first p50 | deep/first p99 |',
    '|---|---|---|---|---|',
  );
  for (const server of SERVER_KINDS) {
    lines.push(
      `| ${SERVER_LABEL[server]} | ${fmtSpread(med(pages.deep.first[server], 'p50'))} | ${fmtSpread(med(pages.deep.deep[server], 'p50'))} | ${fmtSpread(pages.deep.p50Ratio[server])} | ${fmtSpread(pages.deep.p99Ratio[server])} |`,
    );
  }
  lines.push(
    '',
    '### 3. First page with totalCount, closed loop',
    '',
    '| server | req/s | p50 ms | p99 ms |',
    '|---|---|---|---|',
  );
  for (const server of SERVER_KINDS) {
    const w = pages.withCount.windows[server];
    lines.push(
      `| ${SERVER_LABEL[server]} | ${fmtSpread(med(w, 'rps'), 0)} | ${fmtSpread(med(w, 'p50'), 1)} | ${fmtSpread(med(w, 'p99'), 1)} |`,
    );
  }
  return lines;
}
