import { fmt } from '../harness/stats.ts';
import type { FanoutResult } from '../workloads/fanout.ts';
import { kib, summaryRow as row, type SummaryRow } from './table.ts';

/** Workload 5 in the summary table: one row per subscriber count. */
export const fanoutSummary = (fanout: FanoutResult): SummaryRow[] =>
  fanout.steps.map((step) => {
    const r = step.report;
    const target = step.subscribers >= 10_000 ? 'p99 < 250 ms, 0 lost, 0 dup' : '0 lost, 0 dup';
    const ok =
      r.lost === 0 && r.duplicated === 0 && (step.subscribers < 10_000 || r.latencyMs.p99 < 250);
    return row(
      '5',
      `executionLogged, ${step.subscribers} subscribers on 2 instances`,
      'lost / duplicated; commit-to-client p50 / p99 ms; heap per subscriber; live-log round trips per change',
      target,
      `${r.lost} / ${r.duplicated}; ${fmt(r.latencyMs.p50, 0)} / ${fmt(r.latencyMs.p99, 0)}; ${kib(step.heapPerSubscriber)}; ${Math.max(...step.liveReadsPerChange).toFixed(2)}`,
      ok,
    );
  });

/** Workload 5 in "Details". */
export function fanoutDetails(fanout: FanoutResult): string[] {
  const lines = [
    '',
    '### 5. Fan-out',
    '',
    '| subscribers | connect s | delivered / expected | lost | dup | strangers got | RUNNING seen (dup, after final) | resumes | distinct viewers | live-log round trips per change, per instance | p50 ms | p90 ms | p99 ms | max ms | heap / RSS per subscriber | client errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const step of fanout.steps) {
    const r = step.report;
    lines.push(
      `| ${step.subscribers} | ${fmt(step.connectSeconds, 1)} | ${r.delivered} / ${r.expectedDeliveries} | ${r.lost} | ${r.duplicated} | ${r.strangerDeliveries} | ${r.running} (${r.runningDuplicated}, ${r.runningAfterFinal}) | ${r.resumes} | ${step.distinctViewers ?? 3} | ${step.liveReadsPerChange.map((value) => value.toFixed(3)).join(' / ')} | ${fmt(r.latencyMs.p50, 0)} | ${fmt(r.latencyMs.p90, 0)} | ${fmt(r.latencyMs.p99, 0)} | ${fmt(r.latencyMs.max, 0)} | ${kib(step.heapPerSubscriber)} / ${kib(step.rssPerSubscriber)} | ${r.errors}${r.errorReasons.length ? ` (${r.errorReasons.join('; ')})` : ''} |`,
    );
  }
  return lines;
}
