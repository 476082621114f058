/**
 * An owner's analytics: two round trips as the viewer (RLS), the first for the bucket boundaries
 * in their time zone, the second for every aggregate, read from the rollups only (never the raw
 * log): counters per quarter hour, histograms, callers and errors per the fewest hour/day segments.
 */
import type { SqlText } from '../../db/sql.ts';
import {
  type AnalyticsRange,
  boundsSql,
  checkTimeZone,
  type Granularity,
  PRESETS,
  type RangeInput,
  type Segment,
  segments,
  toRange,
} from './analytics-range.ts';
import {
  callersSql,
  countersSql,
  errorsSql,
  latencySql,
  type Scope,
  SET_GRAINS,
} from './analytics-sql.ts';
import { type Percentiles, percentiles } from './latency.ts';

type Rows = Record<string, unknown>[];
export type ReadAsViewer = (statements: SqlText[]) => Promise<Rows[]>;

export interface Counters {
  runs: number;
  running: number;
  succeeded: number;
  failed: number;
  paidRuns: number;
  inputTokens: number;
  outputTokens: number;
  revenueMicro: bigint;
}

export interface AnalyticsBucket extends Counters {
  start: Date;
  end: Date;
  /** Read only if asked for (a third round trip): per-bucket histograms are the costly part. */
  executionTime: () => Promise<Percentiles>;
}

export interface AnalyticsTotals extends Counters {
  from: Date;
  to: Date;
  distinctCallers: number;
  anonymousPayers: number;
  executionTime: Percentiles;
}

export interface CallerStat {
  callerId: string | null;
  payerAddress: string | null;
  runs: number;
  revenueMicro: bigint;
}

export interface Analytics {
  timeZone: string;
  granularity: Granularity;
  totals: AnalyticsTotals;
  previous: AnalyticsTotals;
  buckets: AnalyticsBucket[];
  topCallersByRuns: CallerStat[];
  topCallersByRevenue: CallerStat[];
  topErrors: { message: string; runs: number }[];
}

export interface AnalyticsRequest {
  scope: Scope;
  range: RangeInput;
  timeZone: string;
  granularity: Granularity | null;
  top: number;
}

const emptyCounters = (): Counters => ({
  runs: 0,
  running: 0,
  succeeded: 0,
  failed: 0,
  paidRuns: 0,
  inputTokens: 0,
  outputTokens: 0,
  revenueMicro: 0n,
});

function addCounters(into: Counters, row: Record<string, unknown>) {
  const n = (column: string) => Number(row[column] ?? 0);
  into.runs += n('runs');
  into.running += n('running');
  into.succeeded += n('succeeded');
  into.failed += n('failed');
  into.paidRuns += n('paid_runs');
  into.inputTokens += n('input_tokens');
  into.outputTokens += n('output_tokens');
  into.revenueMicro += BigInt(String(row.revenue_micro ?? 0));
}

export async function loadAnalytics(
  read: ReadAsViewer,
  request: AnalyticsRequest,
): Promise<Analytics> {
  checkTimeZone(request.timeZone);
  const granularity =
    request.granularity ??
    (request.range.preset ? PRESETS[request.range.preset].granularity : 'day');
  const [[boundsRow] = []] = await read([boundsSql(request.range, request.timeZone, granularity)]);
  const range = toRange(boundsRow?.bounds, request.timeZone, granularity);
  return aggregate(read, request, range);
}

async function aggregate(read: ReadAsViewer, request: AnalyticsRequest, range: AnalyticsRange) {
  const { bounds, buckets: n } = range;
  const at = (index: number) => bounds[index] as number;
  // Keys: 0..n-1 the range's buckets, n the whole range, n + 1 the previous period.
  const latencySegments = [...segments(at(n), at(2 * n), n), ...segments(at(0), at(n), n + 1)];
  const setSegments = [
    ...segments(at(n), at(2 * n), 0, SET_GRAINS),
    ...segments(at(0), at(n), 1, SET_GRAINS),
  ];
  const [counterRows = [], latencyRows = [], callerRows = [], errorRows = []] = await read([
    countersSql(request.scope, bounds),
    latencySql(request.scope, latencySegments),
    callersSql(request.scope, setSegments, request.top),
    errorsSql(request.scope, setSegments, request.top),
  ]);

  const histograms = toHistograms(latencyRows);
  const executionTime = (key: number) => percentiles(histograms.get(key) ?? new Map());
  let bucketHistograms: Promise<Map<number, Map<number, number>>> | undefined;
  const bucketExecutionTime = (index: number) => {
    bucketHistograms ??= (async () => {
      const list: Segment[] = [];
      for (let bucket = 0; bucket < n; bucket++) {
        list.push(...segments(at(n + bucket), at(n + bucket + 1), bucket));
      }
      const [rows = []] = await read([latencySql(request.scope, list)]);
      return toHistograms(rows);
    })();
    return bucketHistograms.then((all) => percentiles(all.get(index) ?? new Map()));
  };

  const buckets: AnalyticsBucket[] = Array.from({ length: n }, (_, index) => ({
    start: new Date(at(n + index)),
    end: new Date(at(n + index + 1)),
    ...emptyCounters(),
    executionTime: () => bucketExecutionTime(index),
  }));
  const periodCounters = [emptyCounters(), emptyCounters()];
  for (const row of counterRows) {
    const bucket = Number(row.i) - 1;
    if (bucket < 0 || bucket >= 2 * n) continue;
    addCounters(periodCounters[bucket < n ? 1 : 0] as Counters, row);
    if (bucket >= n) addCounters(buckets[bucket - n] as Counters, row);
  }

  const people = [
    { distinctCallers: 0, anonymousPayers: 0 },
    { distinctCallers: 0, anonymousPayers: 0 },
  ];
  const topCallersByRuns: CallerStat[] = [];
  const topCallersByRevenue: CallerStat[] = [];
  for (const row of callerRows) {
    if (row.part === 'count') {
      people[Number(row.k)] = {
        distinctCallers: Number(row.callers),
        anonymousPayers: Number(row.payers),
      };
      continue;
    }
    const stat: CallerStat = {
      callerId: (row.caller_id as string | null) ?? null,
      payerAddress: (row.payer_address as string | null) ?? null,
      runs: Number(row.runs),
      revenueMicro: BigInt(String(row.revenue)),
    };
    (row.part === 'runs' ? topCallersByRuns : topCallersByRevenue).push(stat);
  }
  // UNION ALL keeps each part's order only by accident of the plan: order explicitly.
  topCallersByRuns.sort((a, b) => b.runs - a.runs || byKey(a, b));
  topCallersByRevenue.sort((a, b) =>
    a.revenueMicro === b.revenueMicro ? byKey(a, b) : b.revenueMicro > a.revenueMicro ? 1 : -1,
  );

  const totals = (period: 0 | 1): AnalyticsTotals => ({
    from: new Date(period === 0 ? at(n) : at(0)),
    to: new Date(period === 0 ? at(2 * n) : at(n)),
    ...(periodCounters[period] as Counters),
    ...(people[period] as { distinctCallers: number; anonymousPayers: number }),
    executionTime: executionTime(period === 0 ? n : n + 1),
  });
  return {
    timeZone: range.timeZone,
    granularity: range.granularity,
    totals: totals(0),
    previous: totals(1),
    buckets,
    topCallersByRuns,
    topCallersByRevenue,
    topErrors: errorRows.map((row) => ({ message: String(row.message), runs: Number(row.runs) })),
  };
}

function toHistograms(rows: Rows) {
  const histograms = new Map<number, Map<number, number>>();
  for (const row of rows) {
    const key = Number(row.k);
    const histogram = histograms.get(key) ?? new Map<number, number>();
    histogram.set(Number(row.bin), Number(row.runs));
    histograms.set(key, histogram);
  }
  return histograms;
}

/** The rollups' caller_key order (COLLATE "C": by code unit). */
export const callerKey = (stat: CallerStat) => stat.callerId ?? `payer:${stat.payerAddress}`;
const byKey = (a: CallerStat, b: CallerStat) =>
  callerKey(a) < callerKey(b) ? -1 : callerKey(a) > callerKey(b) ? 1 : 0;
