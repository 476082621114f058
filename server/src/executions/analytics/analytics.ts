/**
 * An owner's analytics as the viewer (RLS): one round trip for the bucket boundaries in their
 * time zone, then every aggregate (three messages at once), read from the rollups only (never the
 * raw log): each answer a signed sum of a few aligned pieces (analytics-range.ts `pieces`).
 */
import type { SqlText } from '../../db/sql.ts';
import {
  type AnalyticsRange,
  boundsSql,
  COUNTER_GRAINS,
  checkTimeZone,
  distinctPieces,
  type Granularity,
  type Piece,
  PRESETS,
  pieces,
  type RangeInput,
  toRange,
} from './analytics-range.ts';
import {
  callersSql,
  countersSql,
  errorsSql,
  latencySql,
  peopleSql,
  type Scope,
} from './analytics-sql.ts';
import {
  addHistogram,
  emptyHistogram,
  type Histogram,
  type Percentiles,
  percentiles,
} from './latency.ts';

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

export interface People {
  distinctCallers: number;
  anonymousPayers: number;
}

export interface AnalyticsBucket extends Counters {
  start: Date;
  end: Date;
  executionTime: Percentiles;
  /** Read only when asked for (one statement for every bucket): the costliest aggregate. */
  people: () => Promise<People>;
}

export interface AnalyticsTotals extends Counters {
  from: Date;
  to: Date;
  executionTime: Percentiles;
  people: () => Promise<People>;
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
  /** Checks the viewer may read it (FORBIDDEN otherwise): run alongside the bounds' read. */
  scope: () => Promise<Scope>;
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

/** A rollup row's counters (countersSql). */
const toCounters = (row: Record<string, unknown>): Counters => ({
  runs: Number(row.runs),
  running: Number(row.running),
  succeeded: Number(row.succeeded),
  failed: Number(row.failed),
  paidRuns: Number(row.paid_runs),
  inputTokens: Number(row.input_tokens),
  outputTokens: Number(row.output_tokens),
  revenueMicro: BigInt(String(row.revenue_micro)),
});

function addCounters(into: Counters, counters: Counters, sign: 1 | -1 = 1) {
  into.runs += sign * counters.runs;
  into.running += sign * counters.running;
  into.succeeded += sign * counters.succeeded;
  into.failed += sign * counters.failed;
  into.paidRuns += sign * counters.paidRuns;
  into.inputTokens += sign * counters.inputTokens;
  into.outputTokens += sign * counters.outputTokens;
  into.revenueMicro += sign === 1 ? counters.revenueMicro : -counters.revenueMicro;
}

export async function loadAnalytics(
  read: ReadAsViewer,
  request: AnalyticsRequest,
): Promise<Analytics> {
  checkTimeZone(request.timeZone);
  const granularity =
    request.granularity ??
    (request.range.preset ? PRESETS[request.range.preset].granularity : 'day');
  const bounds = boundsSql(request.range, request.timeZone, granularity);
  const [scope, [[boundsRow] = []]] = await Promise.all([request.scope(), read([bounds])]);
  const range = toRange(boundsRow?.bounds, request.timeZone, granularity);
  return aggregate(read, scope, request, range);
}

async function aggregate(
  read: ReadAsViewer,
  scope: Scope,
  request: AnalyticsRequest,
  range: AnalyticsRange,
) {
  const { bounds, buckets: n } = range;
  const at = (index: number) => bounds[index] as number;
  // Counters per bucket of both periods (keys 0..2n-1, the previous period first); histograms
  // per bucket of the range (0..n-1) and the previous period whole (n); callers and errors of the
  // range. Period totals of counters and histograms are sums of their buckets.
  const counterPieces = Array.from({ length: 2 * n }, (_, bucket) =>
    pieces(at(bucket), at(bucket + 1), bucket, COUNTER_GRAINS),
  ).flat();
  const latencyPieces = Array.from({ length: n }, (_, bucket) =>
    pieces(at(n + bucket), at(n + bucket + 1), bucket),
  ).flat();
  latencyPieces.push(...pieces(at(0), at(n), n));
  const rangePieces = pieces(at(n), at(2 * n), 0);
  // Counters and histograms: each distinct piece read once, added to its keys here.
  const counterReads = distinctPieces(counterPieces);
  const latencyReads = distinctPieces(latencyPieces);
  // Three connections at once: each read takes a few milliseconds of one backend's CPU.
  const [[counterRows = [], errorRows = []], [latencyRows = []], [callerRows = []]] =
    await Promise.all([
      read([countersSql(scope, counterReads.unique), errorsSql(scope, rangePieces, request.top)]),
      read([latencySql(scope, latencyReads.unique)]),
      read([callersSql(scope, rangePieces, request.top)]),
    ]);

  const pieceCounters = byKey(counterRows, toCounters);
  const bucketCounters = Array.from({ length: 2 * n }, emptyCounters);
  counterPieces.forEach((piece, index) => {
    const counters = pieceCounters[counterReads.of[index] as number];
    if (counters) addCounters(bucketCounters[piece.key] as Counters, counters, piece.sign);
  });
  const histograms = sumHistograms(
    latencyPieces,
    latencyReads.of,
    byKey(latencyRows, toBins),
    n + 1,
  );
  const rangeHistogram = emptyHistogram();
  for (const histogram of histograms.slice(0, n)) addHistogram(rangeHistogram, histogram);
  const bucketPeople = once(() => loadBucketPeople(read, scope, range));
  const buckets: AnalyticsBucket[] = Array.from({ length: n }, (_, index) => ({
    start: new Date(at(n + index)),
    end: new Date(at(n + index + 1)),
    ...(bucketCounters[n + index] as Counters),
    executionTime: percentiles(histograms[index] as Histogram),
    people: async () => (await bucketPeople())[index] as People,
  }));
  const periodCounters = [emptyCounters(), emptyCounters()];
  bucketCounters.forEach((counters, bucket) => {
    addCounters(periodCounters[bucket < n ? 1 : 0] as Counters, counters);
  });

  let rangePeople = noPeople();
  const topCallersByRuns: CallerStat[] = [];
  const topCallersByRevenue: CallerStat[] = [];
  for (const row of callerRows) {
    if (row.part === 'count') {
      rangePeople = toPeople(row);
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
  topCallersByRuns.sort((a, b) => b.runs - a.runs || byCallerKey(a, b));
  topCallersByRevenue.sort((a, b) =>
    a.revenueMicro === b.revenueMicro
      ? byCallerKey(a, b)
      : b.revenueMicro > a.revenueMicro
        ? 1
        : -1,
  );

  // The previous period's callers only when asked for: a read as costly as the range's.
  const previousPeople = once(async () => {
    const [[row] = []] = await read([peopleSql(scope, pieces(at(0), at(n), 0))]);
    return row ? toPeople(row) : noPeople();
  });
  const totals = (period: 0 | 1): AnalyticsTotals => ({
    from: new Date(period === 0 ? at(n) : at(0)),
    to: new Date(period === 0 ? at(2 * n) : at(n)),
    ...(periodCounters[period] as Counters),
    people: period === 0 ? async () => rangePeople : previousPeople,
    executionTime: percentiles(period === 0 ? rangeHistogram : (histograms[n] as Histogram)),
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

const noPeople = (): People => ({ distinctCallers: 0, anonymousPayers: 0 });
const toPeople = (row: Record<string, unknown>): People => ({
  distinctCallers: Number(row.callers),
  anonymousPayers: Number(row.payers),
});

/** Distinct callers and anonymous payers of each bucket of the range. */
async function loadBucketPeople(read: ReadAsViewer, scope: Scope, range: AnalyticsRange) {
  const { bounds, buckets: n } = range;
  const list = Array.from({ length: n }, (_, bucket) =>
    pieces(bounds[n + bucket] as number, bounds[n + bucket + 1] as number, bucket),
  ).flat();
  const [rows = []] = await read([peopleSql(scope, list)]);
  const people = Array.from({ length: n }, noPeople);
  for (const row of rows) people[Number(row.k)] = toPeople(row);
  return people;
}

/** `load` run at most once, on first call. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => {
    result ??= load();
    return result;
  };
}

/** Rows by their key `k` (a piece's index), each read by `parse`. */
function byKey<T>(rows: Rows, parse: (row: Record<string, unknown>) => T) {
  const values: T[] = [];
  for (const row of rows) values[Number(row.k)] = parse(row);
  return values;
}

/** A piece's histogram as latencySql writes it: bins from `lo`, comma separated. */
function toBins(row: Record<string, unknown>) {
  const text = String(row.counts);
  const counts: number[] = [];
  let value = 0;
  // Digits by hand: no string per bin to collect afterwards (a month is ~50,000 bins).
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 44) {
      counts.push(value);
      value = 0;
    } else value = value * 10 + (code - 48);
  }
  counts.push(value);
  return { lo: Number(row.lo), counts };
}

/** One dense histogram per key 0..keys-1: each piece's bins added with its sign. */
function sumHistograms(
  list: Piece[],
  readOf: number[],
  bins: ({ lo: number; counts: number[] } | undefined)[],
  keys: number,
) {
  const histograms = Array.from({ length: keys }, emptyHistogram);
  list.forEach((piece, index) => {
    const piecesBins = bins[readOf[index] as number];
    const histogram = histograms[piece.key];
    if (!piecesBins || !histogram) return;
    const { lo, counts } = piecesBins;
    for (let i = 0; i < counts.length; i++) {
      const runs = counts[i] as number;
      if (runs !== 0) histogram[lo + i] = (histogram[lo + i] as number) + piece.sign * runs;
    }
  });
  return histograms;
}

/** The rollups' caller_key order (COLLATE "C": by code unit). */
export const callerKey = (stat: CallerStat) => stat.callerId ?? `payer:${stat.payerAddress}`;
const byCallerKey = (a: CallerStat, b: CallerStat) =>
  callerKey(a) < callerKey(b) ? -1 : callerKey(a) > callerKey(b) ? 1 : 0;
