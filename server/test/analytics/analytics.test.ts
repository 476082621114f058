import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nearestRank } from '../../src/executions/analytics/latency.ts';
import { microToUsdc } from '../../src/executions/analytics/money.ts';
import {
  ANALYTICS,
  insertRandomRuns,
  insertTemplate,
  insertUsers,
  LOG,
  random,
  uuidFrom,
} from '../support/analytics-data.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Issue 14, Tests: the analytics API (read from rollups) equals SQL over the raw rows, for random
// runs written as the pipeline writes them (running, then final, sometimes overwritten again).

const owner = { id: uuidFrom(1, 'aaaa'), name: 'owner' };
const callers = Array.from({ length: 6 }, (_, n) => ({
  id: uuidFrom(n + 10, 'aaaa'),
  name: `c${n}`,
}));
const payers = Array.from({ length: 5 }, (_, n) => `0x${String(n + 1).repeat(40)}`);
const templateId = uuidFrom(1, 'bbbb');
const otherTemplateId = uuidFrom(2, 'bbbb');
const globalId = (id: string) => encodeGlobalID('Template', id);
const NOW = Date.now();
const DAY = 86_400_000;

/** What the API should say for [from, to), computed from the raw rows. */
async function expected(app: TestApp, from: string, to: string, top: number) {
  const where = `template_id = '${templateId}' AND created_at >= '${from}' AND created_at < '${to}'`;
  const [counters] = await app.db.query<Record<string, unknown>>(
    `SELECT count(*)::int AS runs, count(*) FILTER (WHERE status = 'running')::int AS running,
       count(*) FILTER (WHERE status = 'success')::int AS succeeded, count(*) FILTER (WHERE status = 'failed')::int AS failed,
       count(*) FILTER (WHERE amount_paid > 0)::int AS paid, coalesce(sum(input_tokens), 0)::text AS input,
       coalesce(sum(output_tokens), 0)::text AS output, coalesce(sum((amount_paid * 1000000)::bigint), 0)::text AS revenue,
       count(DISTINCT caller_id)::int AS callers, count(DISTINCT lower(payer_address)) FILTER (WHERE caller_id IS NULL)::int AS payers
     FROM ${LOG} WHERE ${where}`,
  );
  const times = (
    await app.db.query<{ ms: number }>(
      `SELECT execution_time_ms AS ms FROM ${LOG} WHERE ${where} AND status <> 'running' AND execution_time_ms IS NOT NULL ORDER BY 1`,
    )
  ).map((row) => row.ms);
  const byCaller = `SELECT coalesce(caller_id::text, 'payer:' || lower(payer_address)) AS key, count(*)::int AS runs, sum((amount_paid * 1000000)::bigint)::text AS revenue FROM ${LOG} WHERE ${where} GROUP BY 1`;
  const topByRuns = await app.db.query(
    `SELECT * FROM (${byCaller}) c ORDER BY runs DESC, key COLLATE "C" LIMIT ${top}`,
  );
  const topByRevenue = await app.db.query(
    `SELECT * FROM (${byCaller}) c WHERE revenue::bigint > 0 ORDER BY revenue::bigint DESC, key COLLATE "C" LIMIT ${top}`,
  );
  const errors = await app.db.query(
    `SELECT * FROM (SELECT left(error_message, 300) AS message, count(*)::int AS runs FROM ${LOG} WHERE ${where} AND status = 'failed' GROUP BY 1) e ORDER BY runs DESC, message COLLATE "C" LIMIT ${top}`,
  );
  const c = counters as Record<string, number | string>;
  return {
    counters: {
      runs: c.runs,
      running: c.running,
      succeeded: c.succeeded,
      failed: c.failed,
      paidRuns: c.paid,
      freeRuns: Number(c.runs) - Number(c.paid),
      inputTokens: Number(c.input),
      outputTokens: Number(c.output),
      revenueUsdc: microToUsdc(BigInt(c.revenue as string)),
    },
    people: { distinctCallers: c.callers, anonymousPayers: c.payers },
    times,
    topByRuns: topByRuns.map((row) => [
      row.key,
      row.runs,
      microToUsdc(BigInt(row.revenue as string)),
    ]),
    topByRevenue: topByRevenue.map((row) => [
      row.key,
      row.runs,
      microToUsdc(BigInt(row.revenue as string)),
    ]),
    errors,
  };
}

const counterFields = (row: Record<string, unknown>) => ({
  runs: row.runs,
  running: row.running,
  succeeded: row.succeeded,
  failed: row.failed,
  paidRuns: row.paidRuns,
  freeRuns: row.freeRuns,
  inputTokens: row.inputTokens,
  outputTokens: row.outputTokens,
  revenueUsdc: row.revenueUsdc,
});

/** The stated bound: |reported - exact| <= 1% of (exact + 1 ms), plus 0.5 ms of rounding. */
function expectWithinBound(
  reported: { runs: number; p50: number | null; p95: number | null; p99: number | null },
  times: number[],
) {
  expect(reported.runs).toBe(times.length);
  for (const percent of [50, 95, 99] as const) {
    const value = reported[`p${percent}`];
    if (times.length === 0) {
      expect(value).toBeNull();
      continue;
    }
    const exact = times[nearestRank(percent, times.length) - 1] as number;
    expect(Math.abs((value as number) - exact)).toBeLessThanOrEqual(0.00995 * (exact + 1) + 0.5);
  }
}

const callerRow = (row: Record<string, any>) => [
  row.caller ? decodeGlobalID(row.caller.id).id : `payer:${row.payerAddress}`,
  row.runs,
  row.revenueUsdc,
];

describe('owner analytics equal SQL over the raw rows', () => {
  let app: TestApp;
  let ownerToken: string;
  beforeAll(async () => {
    app = await startTestApp();
    ownerToken = await app.token('owner');
    owner.id = app.userId('owner');
    await insertUsers(app.db, [owner, ...callers]);
    await insertTemplate(app.db, templateId, owner.id, 'mine');
    await insertTemplate(app.db, otherTemplateId, callers[0]?.id as string, 'theirs');
    const common = {
      callers: callers.map((c) => c.id),
      payers,
      from: new Date(NOW - 70 * DAY),
      to: new Date(NOW + 3600_000),
    };
    await insertRandomRuns(app.db, { ...common, templateId, count: 1500, seed: 0x5eed });
    // Another owner's runs: never counted here.
    await insertRandomRuns(app.db, {
      ...common,
      templateId: otherTemplateId,
      count: 200,
      seed: 0xbeef,
    });
  });
  afterAll(() => app?.close());

  async function compare(variables: Record<string, unknown>, top = 5) {
    const result = await app.gql(
      ANALYTICS,
      { templateId: globalId(templateId), top, ...variables },
      { token: ownerToken },
    );
    expect(result.errors).toBeUndefined();
    const analytics = result.data?.templateAnalytics;
    for (const bucket of analytics.buckets) {
      const want = await expected(app, bucket.start, bucket.end, top);
      expect(counterFields(bucket)).toEqual(want.counters);
      expect({
        distinctCallers: bucket.distinctCallers,
        anonymousPayers: bucket.anonymousPayers,
      }).toEqual(want.people);
      expectWithinBound(bucket.executionTimeMs, want.times);
    }
    for (const period of [analytics.totals, analytics.previous]) {
      const want = await expected(app, period.from, period.to, top);
      expect(counterFields(period)).toEqual(want.counters);
      expect({
        distinctCallers: period.distinctCallers,
        anonymousPayers: period.anonymousPayers,
      }).toEqual(want.people);
      expectWithinBound(period.executionTimeMs, want.times);
      if (period === analytics.totals) {
        expect(analytics.topCallersByRuns.map(callerRow)).toEqual(want.topByRuns);
        expect(analytics.topCallersByRevenue.map(callerRow)).toEqual(want.topByRevenue);
        expect(analytics.topErrors).toEqual(want.errors);
      }
    }
    // The range and the previous period are contiguous, bucket after bucket.
    expect(analytics.buckets[0].start).toBe(analytics.totals.from);
    expect(analytics.buckets.at(-1).end).toBe(analytics.totals.to);
    expect(analytics.previous.to).toBe(analytics.totals.from);
    return analytics;
  }

  it('for presets, in several time zones, with every bucket checked', async () => {
    const a = await compare({ range: { preset: 'LAST_30_DAYS' }, timeZone: 'America/New_York' });
    expect(a.buckets).toHaveLength(30);
    expect(a.totals.runs).toBeGreaterThan(300);
    expect(Number(a.totals.revenueUsdc)).toBeGreaterThan(0);
    expect(a.totals.anonymousPayers).toBeGreaterThan(0);
    expect(a.topErrors.length).toBeGreaterThan(0);
    const h = await compare({ range: { preset: 'LAST_24_HOURS' }, timeZone: 'Asia/Kolkata' });
    expect(h.granularity).toBe('HOUR');
    expect(h.buckets).toHaveLength(24);
    await compare({ range: { preset: 'LAST_7_DAYS' }, timeZone: 'Asia/Kathmandu' });
  });

  it('for random custom ranges, zones and granularities', async () => {
    const rng = random(42);
    const zones = [
      'UTC',
      'America/New_York',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'Europe/Paris',
      'Pacific/Auckland',
    ];
    for (let n = 0; n < 6; n++) {
      const granularity = rng.pick(['HOUR', 'DAY'] as const);
      const length = granularity === 'HOUR' ? rng.int(1, 60) * 3600_000 : rng.int(1, 25) * DAY;
      const from = NOW - rng.int(0, 40) * DAY - rng.int(0, 86_399_999);
      const range = {
        from: new Date(from).toISOString(),
        to: new Date(from + length).toISOString(),
      };
      await compare({ range, timeZone: rng.pick(zones), granularity }, rng.int(1, 8));
    }
  });

  it('of all templates together counts only the viewer own ones', async () => {
    const result = await app.gql(
      ANALYTICS,
      { range: { preset: 'LAST_90_DAYS' }, timeZone: 'UTC' },
      { token: ownerToken },
    );
    const [{ runs }] = (await app.db.query<{ runs: number }>(
      `SELECT count(*)::int AS runs FROM ${LOG} WHERE template_id = '${templateId}' AND created_at >= $1 AND created_at < $2`,
      [result.data?.templateAnalytics.totals.from, result.data?.templateAnalytics.totals.to],
    )) as [{ runs: number }];
    expect(result.data?.templateAnalytics.totals.runs).toBe(runs);
  });
});
