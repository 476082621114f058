import { fmt } from '../harness/stats.ts';
import type { AnalyticsResult } from '../workloads/analytics.ts';
import { summaryRow as row, type SummaryRow } from './table.ts';

/** Workload 8 in the summary table: analytics (absolute times, their ratio) and export (ratios). */
export function analyticsSummary(a: AnalyticsResult): SummaryRow[] {
  const speedup = a.rawSqlP50Ms / a.analyticsP50Ms;
  return [
    row(
      '8',
      `templateAnalytics, ${a.runs.toLocaleString('en-US')}-run template, 30 days, America/New_York`,
      'p50 ms over HTTP (server CPU ms per request); raw SQL p50 ms / it',
      '≤ 20 ms, ≥ 10×',
      `${fmt(a.analyticsP50Ms, 1)} (${fmt(a.analyticsCpuMsPerRequest, 1)}); ${fmt(a.rawSqlP50Ms, 0)} / it = ${fmt(speedup, 1)}×`,
      a.analyticsP50Ms <= 20 && speedup >= 10,
    ),
    row(
      '8',
      'export, CSV, every run of that template',
      'rows/s against COPY … TO STDOUT of the same rows (median of interleaved rounds; median rows/s)',
      '≥ 0.5',
      `${fmt(a.exportRatio, 2)} (${fmt(a.exportRatioRange[0], 2)}-${fmt(a.exportRatioRange[1], 2)}; ${fmt(a.exportRowsPerSecond, 0)} / ${fmt(a.copyRowsPerSecond, 0)} rows/s)`,
      a.exportRatio >= 0.5,
    ),
  ];
}
