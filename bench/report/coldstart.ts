import { fmt, fmtSpread, spread } from '../harness/stats.ts';
import type { ColdStartResult } from '../workloads/coldstart.ts';
import { summaryRow as row, type SummaryRow } from './table.ts';

/** Workload 6 in the summary table. */
export const coldStartSummary = (coldStart: ColdStartResult): SummaryRow[] => [
  row(
    '6',
    'cold start, npm start → first answer',
    'fresh data dir / hello-world',
    '',
    fmtSpread(coldStart.firstOverHello, 1),
    null,
  ),
  row('6', '', 'warm data dir / hello-world', '', fmtSpread(coldStart.warmOverHello, 1), null),
  row('6', '', 'PostgreSQL / hello-world', '', fmtSpread(coldStart.postgresOverHello, 1), null),
  row(
    '6',
    '',
    'seconds: hello / fresh / warm / PostgreSQL (absolute, median)',
    '',
    [
      coldStart.seconds.hello,
      coldStart.seconds.first,
      coldStart.seconds.warm,
      coldStart.seconds.postgres,
    ]
      .map((v) => fmt(spread(v).median, 2))
      .join(' / '),
    null,
  ),
];

/** What the cold-start method line says about npm start's prestart step this time. */
export function prestartNote(coldStart: ColdStartResult | undefined): string {
  const prestart = coldStart?.prestart;
  if (!prestart) return '';
  const output = prestart.output ? `: "${prestart.output.split('\n')[0]}"` : ', nothing to build';
  return ` (${fmt(prestart.seconds, 1)} s this time${output})`;
}
