/**
 * Analytics ranges: a preset or a custom range, bucketed by hour or day in the viewer's IANA time
 * zone, and the same number of buckets just before it (the previous period). Bucket boundaries
 * come from the database's time-zone rules (one statement), so DST days are 23 or 25 hours long.
 */
import { type SqlText, sql } from '../../db/sql.ts';
import { badInput } from '../../lib/api-errors.ts';

export type Granularity = 'hour' | 'day';
export type Preset = 'last24Hours' | 'last7Days' | 'last30Days' | 'last90Days';

export const PRESETS: Record<Preset, { buckets: number; granularity: Granularity }> = {
  last24Hours: { buckets: 24, granularity: 'hour' },
  last7Days: { buckets: 7, granularity: 'day' },
  last30Days: { buckets: 30, granularity: 'day' },
  last90Days: { buckets: 90, granularity: 'day' },
};

/** At most this many buckets per answer (90 days by the hour, or about 6 years by the day). */
export const MAX_BUCKETS = 2200;
const QUARTER_HOUR_MS = 15 * 60_000;

export interface RangeInput {
  preset?: Preset | null;
  from?: Date | null;
  to?: Date | null;
}

export interface AnalyticsRange {
  timeZone: string;
  granularity: Granularity;
  /** 2n + 1 boundaries (ms): buckets [0, n) are the previous period, [n, 2n) the range. */
  bounds: number[];
  buckets: number;
}

/** The zone's canonical spelling is left to the database; Node must at least know the name. */
export function checkTimeZone(timeZone: string) {
  if (knownZones.has(timeZone)) return;
  try {
    if (timeZone.length > 64) throw new RangeError();
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw badInput(`Unknown IANA time zone: ${timeZone.slice(0, 64)}`, 'timeZone');
  }
  // Building a formatter costs about 0.3 ms; there are a few hundred zones and aliases.
  if (knownZones.size < 2000) knownZones.add(timeZone);
}

const knownZones = new Set<string>();

/** The statement that yields `bounds` as comma-separated epoch milliseconds. */
export function boundsSql(range: RangeInput, timeZone: string, granularity: Granularity | null) {
  const hasCustom = Boolean(range.from || range.to);
  if (range.preset && hasCustom) throw badInput('Give a preset or from/to, not both', 'range');
  if (!range.preset && !(range.from && range.to)) {
    throw badInput('Give a preset, or both from and to', 'range');
  }
  if (range.from && range.to && range.from >= range.to) {
    throw badInput('from must be before to', 'range');
  }
  const preset = range.preset ? PRESETS[range.preset] : null;
  const unit = granularity ?? preset?.granularity ?? 'day';
  const zone = sql`${timeZone}`;
  const asMs = (at: SqlText) => sql`(extract(epoch FROM ${at}) * 1000)::bigint::text`;
  if (unit === 'day') {
    const local = (at: SqlText) => sql`(${at} AT TIME ZONE ${zone})::date`;
    const first = preset
      ? sql`${local(sql`now()`)} - ${preset.buckets - 1}`
      : local(sql`${range.from as Date}`);
    const end = preset
      ? sql`${local(sql`now()`)} + 1`
      : sql`${local(sql`(${range.to as Date} - interval '1 millisecond')`)} + 1`;
    const day = sql`((r.first - r.n + k)::timestamp AT TIME ZONE ${zone})`;
    return sql`SELECT string_agg(${asMs(day)}, ',' ORDER BY k) AS bounds FROM (SELECT ${first} AS first, ${end} - (${first}) AS n) r, generate_series(0, 2 * r.n) AS k WHERE r.n <= ${MAX_BUCKETS}`;
  }
  // The start of the local hour holding `at`: minus its local minutes and seconds (every offset
  // being whole quarter hours, that is a local hour boundary even across DST).
  const hourStart = (at: SqlText) =>
    sql`(${at} - date_part('minute', ${at} AT TIME ZONE ${zone}) * interval '1 minute' - date_part('second', ${at} AT TIME ZONE ${zone}) * interval '1 second')`;
  const first = preset
    ? sql`${hourStart(sql`now()`)} - ${preset.buckets - 1} * interval '1 hour'`
    : hourStart(sql`${range.from as Date}`);
  const end = preset
    ? sql`${hourStart(sql`now()`)} + interval '1 hour'`
    : sql`${hourStart(sql`(${range.to as Date} - interval '1 millisecond')`)} + interval '1 hour'`;
  return sql`SELECT string_agg(${asMs(sql`(r.first + (k - n) * interval '1 hour')`)}, ',' ORDER BY k) AS bounds FROM (SELECT ${first} AS first, (extract(epoch FROM (${end}) - (${first})) / 3600)::int AS n) r, generate_series(0, 2 * r.n) AS k WHERE r.n <= ${MAX_BUCKETS}`;
}

export function toRange(text: unknown, timeZone: string, granularity: Granularity): AnalyticsRange {
  if (typeof text !== 'string' || !text) {
    throw badInput(
      `The range is over ${MAX_BUCKETS} buckets: choose a coarser granularity`,
      'range',
    );
  }
  const bounds = text.split(',').map(Number);
  if (bounds.some((at) => at % QUARTER_HOUR_MS !== 0)) {
    // Rollups are kept per UTC quarter hour: a bucket must start on one (README "Analytics").
    throw badInput(
      `${timeZone} has an offset that is not a whole number of quarter hours in this range`,
      'timeZone',
    );
  }
  return { timeZone, granularity, bounds, buckets: (bounds.length - 1) / 2 };
}

/** Rollup grains in minutes (migration 010), largest first; each divides the one before it. */
export const COUNTER_GRAINS = [1440, 60, 15] as const;
export const SET_GRAINS = [40320, 10080, 1440, 60, 15] as const;

/** An aligned UTC piece of a rollup, added (sign 1) or taken out (-1) of answer `key`. */
export interface Piece {
  grain: number;
  start: number;
  key: number;
  sign: 1 | -1;
}

type Span = { grain: number; start: number; sign: 1 | -1 };

/**
 * Consecutive buckets share pieces (a New York day's last 5 hours are the next day's first 5 taken
 * out): `unique` holds each piece of `list` once (key: its index there, sign 1), and `of[i]` is
 * the index of `list[i]`'s piece in it.
 */
export function distinctPieces(list: Piece[]) {
  const indexes = new Map<string, number>();
  const unique: Piece[] = [];
  const of = list.map(({ grain, start }) => {
    const id = `${grain}:${start}`;
    let index = indexes.get(id);
    if (index === undefined) {
      index = unique.length;
      indexes.set(id, index);
      unique.push({ grain, start, key: index, sign: 1 });
    }
    return index;
  });
  return { unique, of };
}

/**
 * [start, end) as the fewest signed aligned pieces of `grains`: rollups are additive, so a day of
 * a zone 5 h behind UTC is its UTC day minus 5 hours plus 5 hours of the next (11 pieces, not
 * 24), and 30 days are weeks and a few days and hours around them.
 *
 * With P(x) the indicator of [0, x): [a, b) = P(b) - P(a), and for any points ya, yb aligned to a
 * core grain, P(b) - P(a) = (P(yb) - P(ya)) + (P(ya) - P(a)) + (P(b) - P(yb)): core blocks between
 * ya and yb, then each boundary's remainder down a chain of finer aligned points, each the floor or
 * ceiling of the boundary at its grain. Every choice is exact; the cheapest is kept.
 */
export function pieces(
  start: number,
  end: number,
  key: number,
  grains: readonly number[] = SET_GRAINS,
): Piece[] {
  if (start === end) return [];
  // A core piece over twice the interval's length saves nothing: its edges cost more.
  const useful = grains.filter(
    (grain, index) => grain * 60_000 <= 2 * (end - start) || index === grains.length - 1,
  );
  const sizes = useful.map((grain) => grain * 60_000);
  // Consecutive buckets of a zone have the same shape: decompose once, shift it.
  const offset = start % (sizes[0] as number);
  const shape = `${end - start}:${offset}:${useful.join(',')}`;
  let spans = shapes.get(shape);
  if (!spans) {
    spans = decompose(offset, offset + end - start, sizes);
    if (shapes.size >= 10_000) shapes.clear();
    shapes.set(shape, spans);
  }
  const shift = start - offset;
  return spans.map((span) => ({
    grain: span.grain,
    start: span.start + shift,
    key,
    sign: span.sign,
  }));
}

const shapes = new Map<string, Span[]>();

function decompose(start: number, end: number, sizes: number[]): Span[] {
  let best: { cost: number; build: () => Span[] } | null = null;
  sizes.forEach((size, level) => {
    for (const from of around(start, size)) {
      for (const to of around(end, size)) {
        const left = chain(start, from, level, sizes);
        const right = chain(end, to, level, sizes);
        const cost = Math.abs(to - from) / size + left.cost + right.cost;
        if (best && cost >= best.cost) continue;
        best = {
          cost,
          build: () => [
            ...between(from, to, level, sizes),
            ...left.steps.flatMap(([p, q, at]) => between(q, p, at, sizes)),
            ...right.steps.flatMap(([p, q, at]) => between(p, q, at, sizes)),
          ],
        };
      }
    }
  });
  if (!best) throw new Error(`${start}-${end} is not on quarter hours`);
  return (best as { build: () => Span[] }).build();
}

const around = (at: number, size: number) => {
  const floor = Math.floor(at / size) * size;
  return floor === at ? [at] : [floor, floor + size];
};

/**
 * From `top` (aligned at `level`) down to `x` through one floor-or-ceiling point per finer grain:
 * the fewest blocks, as steps [from, to, level of their blocks].
 */
function chain(x: number, top: number, level: number, sizes: number[]) {
  let states = [{ at: top, cost: 0, steps: [] as [number, number, number][] }];
  for (let finer = level + 1; finer < sizes.length; finer++) {
    const size = sizes[finer] as number;
    states = around(x, size).map((at) => {
      const options = states.map((state) => ({
        at,
        cost: state.cost + Math.abs(at - state.at) / size,
        steps:
          at === state.at
            ? state.steps
            : [...state.steps, [state.at, at, finer] as [number, number, number]],
      }));
      return options.reduce((a, b) => (b.cost < a.cost ? b : a));
    });
  }
  const [last] = states.filter((state) => state.at === x);
  if (!last) throw new Error(`${x} is not on a quarter hour`);
  return last;
}

/** P(to) - P(from) as blocks of the level's grain: added when from < to, taken out otherwise. */
function between(from: number, to: number, level: number, sizes: number[]): Span[] {
  const size = sizes[level] as number;
  const grain = size / 60_000;
  const [low, high, sign] = from <= to ? [from, to, 1 as const] : [to, from, -1 as const];
  const list: Span[] = [];
  for (let at = low; at < high; at += size) list.push({ grain, start: at, sign });
  return list;
}
