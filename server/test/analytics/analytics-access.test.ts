import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_ROLE } from '../../src/db/roles.ts';
import { sql } from '../../src/db/sql.ts';
import {
  ANALYTICS,
  insertRandomRuns,
  insertTemplate,
  insertUsers,
} from '../support/analytics-data.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Issue 14, Tests (RLS): a caller, a stranger and an anonymous request get nothing from analytics;
// an owner of one template sees nothing of another's — in GraphQL (FORBIDDEN) and in the database.

const ROLLUPS = [
  'x402_usage_rollups',
  'x402_usage_latency_histograms',
  'x402_usage_caller_rollups',
  'x402_usage_error_rollups',
];

describe('who may read analytics', () => {
  let app: TestApp;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  const mine = '0000eeee-0000-4000-8000-000000000001';
  const theirs = '0000eeee-0000-4000-8000-000000000002';
  beforeAll(async () => {
    app = await startTestApp();
    for (const name of ['owner', 'caller', 'stranger', 'otherOwner']) {
      ids[name] = app.userId(name);
      tokens[name] = await app.token(name);
    }
    await insertUsers(
      app.db,
      Object.entries(ids).map(([name, id]) => ({ id, name })),
    );
    await insertTemplate(app.db, mine, ids.owner as string, 'mine');
    await insertTemplate(app.db, theirs, ids.otherOwner as string, 'theirs');
    const common = {
      callers: [ids.caller as string],
      payers: ['0x'.padEnd(42, 'a')],
      from: new Date(Date.now() - 5 * 86_400_000),
      to: new Date(),
    };
    await insertRandomRuns(app.db, { ...common, templateId: mine, count: 60, seed: 1 });
    await insertRandomRuns(app.db, { ...common, templateId: theirs, count: 40, seed: 2 });
  });
  afterAll(() => app?.close());

  const ask = (token: string | undefined, templateId: string | null) =>
    app.gql(
      ANALYTICS,
      {
        templateId: templateId && encodeGlobalID('Template', templateId),
        range: { preset: 'LAST_7_DAYS' },
        timeZone: 'UTC',
      },
      { token },
    );

  it("answers a template's owners, and nobody else", async () => {
    const owner = await ask(tokens.owner, mine);
    expect(owner.errors).toBeUndefined();
    expect(owner.data?.templateAnalytics.totals.runs).toBe(60);
    for (const name of ['caller', 'stranger', 'otherOwner']) {
      const refused = await ask(tokens[name], mine);
      expect(refused.data).toBeNull();
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const anonymous = await ask(undefined, mine);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it("sums only the viewer's own templates when asked for all of them", async () => {
    const all = async (name: string) =>
      (await ask(tokens[name], null)).data?.templateAnalytics.totals.runs;
    expect(await all('owner')).toBe(60);
    expect(await all('otherOwner')).toBe(40);
    expect(await all('caller')).toBe(0);
    expect(await all('stranger')).toBe(0);
  });

  it('lets the database show rollups to owners only, whatever the SQL asks', async () => {
    const count = async (viewer: string | null, table: string) => {
      const [rows = []] = await app.db.runAs(REQUEST_ROLE, viewer, [
        sql`SELECT count(DISTINCT template_id)::int AS templates, count(*)::int AS n FROM ${sql.identifier(table)}`,
      ]);
      return rows[0];
    };
    for (const table of ROLLUPS) {
      expect(await count(ids.owner as string, table)).toMatchObject({ templates: 1 });
      expect(await count(ids.otherOwner as string, table)).toMatchObject({ templates: 1 });
      for (const viewer of [ids.caller as string, ids.stranger as string, null]) {
        expect(await count(viewer, table)).toEqual({ templates: 0, n: 0 });
      }
    }
    // The request role cannot write rollups either.
    await expect(
      app.db.runAs(REQUEST_ROLE, ids.owner as string, [
        sql`UPDATE x402_usage_rollups SET runs = runs + 1`,
      ]),
    ).rejects.toThrow(/permission denied/);
  });
});
