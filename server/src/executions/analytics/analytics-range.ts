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
  try {
    if (timeZone.length > 64) throw new RangeError();
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw badInput(`Unknown IANA time zone: ${timeZone.slice(0, 64)}`, 'timeZone');
  }
}

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

export const GRAINS_MINUTES = [1440, 60, 15] as const;

export interface Segment {
  grain: number;
  start: number;
  /** Which answer the segment adds to (a bucket index, or a whole period). */
  key: number;
}

/**
 * [start, end) as the fewest aligned UTC segments of the given grains (largest first): a day of a
 * zone 5 h behind UTC is 24 hour segments, a day of Asia/Kolkata 2 quarter hours + 23 hours + 2.
 */
export function segments(
  start: number,
  end: number,
  key: number,
  grains: readonly number[] = GRAINS_MINUTES,
): Segment[] {
  const result: Segment[] = [];
  let at = start;
  while (at < end) {
    const grain = grains.find((minutes) => {
      const ms = minutes * 60_000;
      return at % ms === 0 && at + ms <= end;
    });
    if (grain === undefined) throw new Error(`${at} is not on a quarter hour`);
    result.push({ grain, start: at, key });
    at += grain * 60_000;
  }
  return result;
}
