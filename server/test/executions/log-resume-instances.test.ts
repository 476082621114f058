import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { stack } from '../support/databases.ts';
import { createTemplate, execute } from '../support/operations.ts';
import { cuttingProxy } from '../support/private-database.ts';
import { collect } from '../support/subscription-results.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const RESUMABLE = /* GraphQL */ `
  subscription Resumable($templateId: ID!, $after: String) {
    executionLogged(templateId: $templateId, after: $after) { id status logPosition }
  }
`;

type Event = { id: string; status: string; logPosition: string };
const dbIdOf = (globalId: string) =>
  Buffer.from(globalId, 'base64').toString().split(':')[1] as string;

// Resumption across two instances sharing PostgreSQL and Redis: what a subscriber misses while
// its socket is down, it gets when it comes back with `after`, exactly once, in position order.
describe.runIf(stack.postgres && stack.redisUrl)('resuming live history across instances', () => {
  let apps: [TestApp, TestApp];
  let templateId: string;
  let caller: string;
  let owner: string;

  beforeAll(async () => {
    const first = await startTestApp();
    const second = await startTestApp({ database: first.database, modelServer: first.modelServer });
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

  it('subscribers that drop and resume at random each get every run they may read, once', async () => {
    const stranger = await apps[0].token('sulla');
    const viewers = [
      ...Array.from({ length: 4 }, () => owner),
      ...Array.from({ length: 4 }, () => caller),
      stranger,
    ];
    // A starting point for all (a subscriber with no position starts live, and could miss what
    // ends between two of its streams): the position of a run made before they start.
    const seed = await apps[0].gql(
      `mutation($input: ExecuteTemplateInput!) { executeTemplate(input: $input) { execution { logPosition } } }`,
      { input: { templateId, variables: { topic: 'seed' } } },
      { token: caller },
    );
    const start = seed.data?.executeTemplate.execution.logPosition as string;
    let running = true;
    const followers = viewers.map((token, n) => {
      const finals = new Map<string, number>();
      let last: string | null = start;
      const follow = async () => {
        while (running) {
          const app = apps[n % 2] as TestApp;
          const stream = collect<{ executionLogged: Event }>(app.ws(token), RESUMABLE, {
            templateId,
            after: last,
          });
          await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 300));
          stream.unsubscribe();
          record(stream.results);
        }
      };
      const record = (
        results: { data?: { executionLogged: Event } | null; errors?: unknown }[],
      ) => {
        for (const result of results) {
          const event = result.data?.executionLogged;
          if (!event) throw new Error(JSON.stringify(result.errors));
          last = event.logPosition;
          if (event.status !== 'RUNNING') {
            const id = dbIdOf(event.id);
            finals.set(id, (finals.get(id) ?? 0) + 1);
          }
        }
      };
      /** Resumes once more and stays until `expected` runs are in (or a deadline). */
      const settle = async (expected: number) => {
        const stream = collect<{ executionLogged: Event }>(apps[0].ws(token), RESUMABLE, {
          templateId,
          after: last,
        });
        const missing = () => expected - [...finals.keys()].length;
        const before = finals.size;
        await stream.waitForFinals(Math.max(0, expected - before), expected ? 10_000 : 1000);
        stream.unsubscribe();
        record(stream.results);
        return missing();
      };
      return { token, finals, settle, done: follow() };
    });
    const ownRuns = await runs(60);
    await new Promise((resolve) => setTimeout(resolve, 500));
    running = false;
    await Promise.all(followers.map((follower) => follower.done));
    // Each comes back once more, from its last position, and gets what it has not had yet.
    await Promise.all(
      followers.map((follower) => follower.settle(follower.token === stranger ? 0 : 60)),
    );

    for (const follower of followers) {
      const expected = follower.token === stranger ? [] : ownRuns;
      // Every run it may read, each delivered once in its final state, and nothing else of these.
      const got = [...follower.finals.entries()].filter(([id]) => ownRuns.includes(id));
      expect(got.map(([id]) => id).sort()).toEqual([...expected].sort());
      expect(got.every(([, count]) => count === 1)).toBe(true);
    }
  });
});
