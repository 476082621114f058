import type { Mode } from '../harness/config.ts';
import { fmt, fmtSpread, spread } from '../harness/stats.ts';
import type { RunsResult } from '../workloads/runs.ts';
import { summaryRow as row, type SummaryRow } from './table.ts';

/** Workload 4 in the summary table. */
export function runsSummary(runs: RunsResult): SummaryRow[] {
  const f = runs.inFlight;
  return [
    row(
      '4',
      'executeTemplate, 0 ms model',
      'run latency / direct SDK call, p50',
      '',
      fmtSpread(runs.zero.ratio),
      null,
    ),
    row(
      '4',
      '',
      'server overhead per run, p50 ms (absolute)',
      '',
      fmtSpread(runs.zero.overheadMs, 1),
      null,
    ),
    row(
      '4',
      '',
      'database round trips (SQL statements) per run',
      '',
      `${fmt(runs.zero.roundTripsPerRun, 1)} (${fmt(runs.zero.statementsPerRun, 1)})`,
      null,
    ),
    row(
      '4',
      'executeTemplate, 2 s model',
      'overhead p50 / p99 ms, 20 runs at once (absolute)',
      '',
      `${fmt(runs.slow.overheadP50Ms, 0)} / ${fmt(runs.slow.overheadP99Ms, 0)}`,
      null,
    ),
    row(
      '4',
      `${f.runs} runs in flight, pool of 10, 2 s model`,
      'all succeed, all logged, no connection held during the model call',
      'all',
      `${f.succeeded} ok, ${f.logged} logged, up to ${f.awaitingModelAtOnce} awaiting the model at once, ${fmt(f.wallSeconds, 1)} s`,
      f.succeeded === f.runs && f.logged === f.runs && f.awaitingModelAtOnce > 10,
    ),
  ];
}

/** Workload 4 in "Details". */
export function runsDetails(runs: RunsResult, mode: Mode): string[] {
  const { zero, inFlight } = runs;
  return [
    '',
    '### 4. Runs',
    '',
    `- 0 ms model, one run at a time, ${mode.runsPerRound} runs per round: run p50 ${fmtSpread(spread(zero.runP50))} ms, p99 ${fmtSpread(spread(zero.p99))} ms; ` +
      `the same SDK call made directly: p50 ${fmtSpread(spread(zero.directP50))} ms.`,
    `- ${fmt(zero.roundTripsPerRun, 1)} database round trips per run, carrying ${fmt(zero.statementsPerRun, 1)} SQL statements.`,
    `- ${inFlight.runs} runs at once, 2 s model, pool of 10: ${inFlight.succeeded} succeeded, ${inFlight.logged} logged as success, ` +
      `batch took ${fmt(inFlight.wallSeconds, 1)} s (≥ ${(inFlight.runs * 2) / 10} s if each run held a connection through the model call); ` +
      `up to ${inFlight.awaitingModelAtOnce} runs awaited the model at once; pg_stat_activity showed up to ${inFlight.maxInTransaction} of the server's connections ` +
      `idle in transaction (between the statements of a short transaction while the event loop was busy) and ${inFlight.maxActive} active.`,
  ];
}
