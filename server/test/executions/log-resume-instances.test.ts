import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { stack } from '../support/databases.ts';
import { createTemplate, execute } from '../support/operations.ts';
import { cuttingProxy } from '../support/private-database.ts';
import {
  dbIdOf,
  type LoggedEvent as Event,
  RESUMABLE,
  resumingFollower,
} from '../support/resuming-follower.ts';
import { collect } from '../support/subscription-results.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const RUNS = Number(process.env.RESUME_TEST_RUNS ?? 1000);

// Resumption across two instances sharing PostgreSQL and Redis: what a subscriber misses while
// its socket is down, it gets when it comes back with `after`, exactly once, in position order.
describe.runIf(stack.postgres && stack.redisUrl)('resuming live history across instances', () => {
  let apps: [TestApp, TestApp];
  let templateId: string;
  let caller: string;
  let owner: string;

  beforeAll(async () => {
    // A thousand free runs a minute from one address: this measures live history, not quotas.
    const rateLimits = { freeRunsPerTemplate: 0, runsPerIp: 0, runsPerUser: 0 };
    const first = await startTestApp({ rateLimits });
    const second = await startTestApp({
      database: first.database,
      modelServer: first.modelServer,
      rateLimits,
    });
    apps = [first, second];
    [owner, caller] = await Promise.all([first.token('ovid'), first.token('cato')]);
    templateId = await createTemplate(first, owner);
  });
  afterAll(async () => {
    await apps?.[1].close();
    await apps?.[0].close();
  });

  /** `count` runs by the caller, alternating instances, a few at a time, with random latency. */
  async function runs(count: number, token = caller) {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 4) {
      const batch = Array.from({ length: Math.min(4, count - i) }, async (_, j) => {
        const app = apps[(i + j) % 2] as TestApp;
        app.modelServer.enqueue({ kind: 'delay', ms: Math.floor(Math.random() * 150) });
        const result = await execute(app, token, templateId);
        expect(result.errors).toBeUndefined();
        return dbIdOf(result.data?.executeTemplate.execution.id as string);
      });
      ids.push(...(await Promise.all(batch)));
    }
    return ids;
  }

  /** The rows' ids in position order, as the database has them. */
  const inPositionOrder = async (ids: string[]) =>
    (
      await apps[0].db.query<{ id: string }>(
        'SELECT id FROM x402_prompt_template_usage_logs WHERE id = ANY($1) ORDER BY log_xid, id',
        [ids],
      )
    ).map((row) => row.id);

  it('a socket cut while 20 runs finish resumes with every one of them, once, in order', async () => {
    const [, second] = apps;
    const proxy = await cuttingProxy(Number(new URL(second.url).port));
    const client = createClient({
      url: `ws://127.0.0.1:${proxy.port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${caller}` },
      retryAttempts: 0,
    });
    try {
      const before = collect<{ executionLogged: Event }>(client, RESUMABLE, { templateId });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await runs(1);
      const seen = await before.waitForFinals(1);
      const last = before.results.at(-1)?.data?.executionLogged.logPosition;
      expect(seen).toHaveLength(1);

      proxy.reset();
      const missed = await runs(20);
      const resumed = collect<{ executionLogged: Event }>(second.ws(caller), RESUMABLE, {
        templateId,
        after: last,
      });
      const finals = await resumed.waitForFinals(20, 15_000);
      const delivered = finals.map((result) => dbIdOf(result.data?.executionLogged.id as string));
      expect(delivered).toEqual(await inPositionOrder(missed));
      expect(resumed.results).toHaveLength(20); // all ended before it came back: no RUNNING
    } finally {
      await client.dispose();
      await proxy.close();
    }
  });

  it('1,000 runs on two instances, 100 subscribers dropping and resuming at random: each gets every run it may read, once', async () => {
    const callers = await Promise.all(Array.from({ length: 10 }, (_, i) => apps[0].token(`k${i}`)));
    const strangers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => apps[0].token(`x${i}`)),
    );
    // 10 followers for the owner, 8 for each caller, 10 strangers.
    const viewers = [
      ...Array.from({ length: 10 }, () => owner),
      ...callers.flatMap((token) => Array.from({ length: 8 }, () => token)),
      ...strangers,
    ];
    // A starting point for all (a subscriber with no position starts live, and could miss what
    // ends between two of its streams): the position of a run made before they start.
    const seed = await apps[0].gql(
      `mutation($input: ExecuteTemplateInput!) { executeTemplate(input: $input) { execution { logPosition } } }`,
      { input: { templateId, variables: { topic: 'seed' } } },
      { token: caller },
    );
    const start = seed.data?.executeTemplate.execution.logPosition as string;
    const followers = viewers.map((token) => resumingFollower(apps, token, templateId, start));

    // 1,000 runs, 100 per caller, 8 at a time across both instances, random model latency.
    const byCaller = new Map<string, string[]>(callers.map((token) => [token, []]));
    for (let i = 0; i < RUNS; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, RUNS - i) }, async (_, j) => {
          const token = callers[(i + j) % callers.length] as string;
          const app = apps[(i + j) % 2] as TestApp;
          app.modelServer.enqueue({ kind: 'delay', ms: Math.floor(Math.random() * 100) });
          const result = await execute(app, token, templateId);
          expect(result.errors).toBeUndefined();
          byCaller.get(token)?.push(dbIdOf(result.data?.executeTemplate.execution.id as string));
        }),
      );
    }
    const all = [...byCaller.values()].flat();
    await Promise.all(followers.map((follower) => follower.stop()));
    const expectedOf = (token: string) =>
      token === owner ? all : strangers.includes(token) ? [] : (byCaller.get(token) ?? []);
    // Each comes back once more, from its last position, and gets what it has not had yet.
    await Promise.all(followers.map((f) => f.settle(expectedOf(f.token).length, 30_000)));

    const streams = followers.reduce((sum, follower) => sum + follower.streams, 0);
    const disconnects = followers.reduce((sum, follower) => sum + follower.disconnects, 0);
    console.info(
      `[resume] ${RUNS} runs, ${followers.length} followers, ${streams} streams, ${disconnects} ended by the connection`,
    );
    for (const follower of followers) {
      // Every run it may read, each delivered once in its final state, and nothing else of these.
      const got = [...follower.finals.entries()].filter(([id]) => all.includes(id));
      expect(follower.errors).toEqual([]);
      expect(got.map(([id]) => id).sort()).toEqual([...expectedOf(follower.token)].sort());
      expect(got.every(([, count]) => count === 1)).toBe(true);
    }
  }, 300_000);
});
