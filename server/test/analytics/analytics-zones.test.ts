import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertOwnedTemplate, LOG, uuidFrom } from '../support/analytics-data.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Issue 14, Tests: buckets in the viewer's IANA zone, across DST changes (a 23- and a 25-hour day)
// and in zones whose offset is not whole hours. Expected boundaries are written out by hand.

const ZONES = /* GraphQL */ `
  query Zones($templateId: ID, $range: AnalyticsRangeInput!, $timeZone: String!, $granularity: AnalyticsGranularity) {
    templateAnalytics(templateId: $templateId, range: $range, timeZone: $timeZone, granularity: $granularity) {
      totals { from to runs }
      previous { from to runs }
      buckets { start end runs }
    }
  }
`;

const templateId = uuidFrom(1, 'cccc');
const HOUR = 3600_000;

describe('analytics buckets in the viewer time zone', () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp();
    const owned = await insertOwnedTemplate(app, 'zoned-owner', templateId);
    token = owned.token;
    const ownerId = owned.ownerId;
    // One run at each of these instants (UTC).
    const runs = [
      '2026-03-08T06:30:00Z', // 01:30 EST, the last hour before New York springs forward
      '2026-03-08T07:30:00Z', // 03:30 EDT, the next local hour
      '2026-11-01T05:30:00Z', // 01:30 EDT, the first 1 a.m. of New York's 25-hour day
      '2026-11-01T06:30:00Z', // 01:30 EST, the second one
      '2026-05-10T18:29:59.999Z', // 23:59:59.999 on May 10 in Kolkata
      '2026-05-10T18:30:00Z', // midnight May 11 in Kolkata
      '2026-05-10T18:14:00Z', // 23:59 on May 10 in Kathmandu (+05:45)
      '2026-05-10T18:15:00Z', // midnight May 11 in Kathmandu
    ];
    for (const [n, at] of runs.entries()) {
      await app.db.query(
        `INSERT INTO ${LOG} (id, template_id, caller_id, status, created_at) VALUES ($1, $2, $3, 'running', $4)`,
        [uuidFrom(n + 1, 'dddd'), templateId, ownerId, at],
      );
    }
  });
  afterAll(() => app?.close());

  async function analytics(variables: Record<string, unknown>) {
    const result = await app.gql(
      ZONES,
      { templateId: encodeGlobalID('Template', templateId), ...variables },
      { token },
    );
    expect(result.errors).toBeUndefined();
    return result.data?.templateAnalytics;
  }
  const iso = (at: string) => new Date(at).toISOString();
  const hours = (bucket: { start: string; end: string }) =>
    (Date.parse(bucket.end) - Date.parse(bucket.start)) / HOUR;

  it('has a 23-hour day on 2026-03-08 in America/New_York, by the day and by the hour', async () => {
    const days = await analytics({
      range: { from: '2026-03-07T12:00:00Z', to: '2026-03-09T12:00:00Z' },
      timeZone: 'America/New_York',
      granularity: 'DAY',
    });
    expect(days.buckets.map((b: { start: string }) => b.start)).toEqual([
      iso('2026-03-07T05:00:00Z'),
      iso('2026-03-08T05:00:00Z'),
      iso('2026-03-09T04:00:00Z'),
    ]);
    expect(days.buckets.map(hours)).toEqual([24, 23, 24]);
    expect(days.buckets.map((b: { runs: number }) => b.runs)).toEqual([0, 2, 0]);
    // The previous period is the 3 local days before.
    expect(days.previous.from).toBe(iso('2026-03-04T05:00:00Z'));

    const byHour = await analytics({
      range: { from: '2026-03-08T05:00:00Z', to: '2026-03-09T04:00:00Z' },
      timeZone: 'America/New_York',
      granularity: 'HOUR',
    });
    expect(byHour.buckets).toHaveLength(23);
    // 01:00 EST then 03:00 EDT: consecutive buckets, one run each.
    expect(byHour.buckets.slice(1, 3)).toEqual([
      { start: iso('2026-03-08T06:00:00Z'), end: iso('2026-03-08T07:00:00Z'), runs: 1 },
      { start: iso('2026-03-08T07:00:00Z'), end: iso('2026-03-08T08:00:00Z'), runs: 1 },
    ]);
  });

  it('has a 25-hour day on 2026-11-01 in America/New_York, with two 1 a.m. hours', async () => {
    const days = await analytics({
      range: { from: '2026-11-01T04:00:00Z', to: '2026-11-02T05:00:00Z' },
      timeZone: 'America/New_York',
      granularity: 'DAY',
    });
    expect(days.buckets).toEqual([
      { start: iso('2026-11-01T04:00:00Z'), end: iso('2026-11-02T05:00:00Z'), runs: 2 },
    ]);
    const byHour = await analytics({
      range: { from: '2026-11-01T04:00:00Z', to: '2026-11-02T05:00:00Z' },
      timeZone: 'America/New_York',
      granularity: 'HOUR',
    });
    expect(byHour.buckets).toHaveLength(25);
    expect(byHour.buckets.slice(1, 3).map((b: { runs: number }) => b.runs)).toEqual([1, 1]);
    expect(byHour.buckets[2].start).toBe(iso('2026-11-01T06:00:00Z'));
  });

  it('starts days at 18:30 UTC in Asia/Kolkata and 18:15 UTC in Asia/Kathmandu', async () => {
    const kolkata = await analytics({
      range: { from: '2026-05-10T00:00:00+05:30', to: '2026-05-12T00:00:00+05:30' },
      timeZone: 'Asia/Kolkata',
      granularity: 'DAY',
    });
    expect(kolkata.buckets).toEqual([
      // May 10 in Kolkata holds the 18:14 and 18:15 runs (Kathmandu's) and the 18:29:59.999 one.
      { start: iso('2026-05-09T18:30:00Z'), end: iso('2026-05-10T18:30:00Z'), runs: 3 },
      { start: iso('2026-05-10T18:30:00Z'), end: iso('2026-05-11T18:30:00Z'), runs: 1 },
    ]);
    const kathmandu = await analytics({
      range: { from: '2026-05-10T00:00:00+05:45', to: '2026-05-12T00:00:00+05:45' },
      timeZone: 'Asia/Kathmandu',
      granularity: 'DAY',
    });
    expect(kathmandu.buckets).toEqual([
      { start: iso('2026-05-09T18:15:00Z'), end: iso('2026-05-10T18:15:00Z'), runs: 1 },
      { start: iso('2026-05-10T18:15:00Z'), end: iso('2026-05-11T18:15:00Z'), runs: 3 },
    ]);
    // Local hours of Kolkata are half past the hour in UTC.
    const byHour = await analytics({
      range: { from: '2026-05-10T17:45:00Z', to: '2026-05-10T19:00:00Z' },
      timeZone: 'Asia/Kolkata',
      granularity: 'HOUR',
    });
    expect(byHour.buckets).toEqual([
      { start: iso('2026-05-10T17:30:00Z'), end: iso('2026-05-10T18:30:00Z'), runs: 3 },
      { start: iso('2026-05-10T18:30:00Z'), end: iso('2026-05-10T19:30:00Z'), runs: 1 },
    ]);
  });

  it('refuses unknown zones, offsets off the quarter hour, and ranges of too many buckets', async () => {
    const refused = async (variables: Record<string, unknown>) => {
      const result = await app.gql(
        ZONES,
        { templateId: encodeGlobalID('Template', templateId), ...variables },
        { token },
      );
      return result.errors?.[0]?.extensions;
    };
    expect(
      await refused({ range: { preset: 'LAST_7_DAYS' }, timeZone: 'Mars/Olympus_Mons' }),
    ).toEqual({ code: 'BAD_USER_INPUT', field: 'timeZone' });
    // Monrovia kept -00:44:30 until 1972: its midnights were not on a UTC quarter hour.
    expect(
      await refused({
        range: { from: '1971-01-01T00:00:00Z', to: '1971-01-03T00:00:00Z' },
        timeZone: 'Africa/Monrovia',
        granularity: 'DAY',
      }),
    ).toEqual({ code: 'BAD_USER_INPUT', field: 'timeZone' });
    expect(
      await refused({
        range: { from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
        timeZone: 'UTC',
        granularity: 'HOUR',
      }),
    ).toEqual({ code: 'BAD_USER_INPUT', field: 'range' });
    expect(
      await refused({
        range: { preset: 'LAST_7_DAYS', from: '2026-01-01T00:00:00Z' },
        timeZone: 'UTC',
      }),
    ).toEqual({ code: 'BAD_USER_INPUT', field: 'range' });
    expect(
      await refused({
        range: { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' },
        timeZone: 'UTC',
      }),
    ).toEqual({ code: 'BAD_USER_INPUT', field: 'range' });
  });
});
