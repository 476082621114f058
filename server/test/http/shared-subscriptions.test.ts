import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stack } from '../support/databases.ts';
import { createTemplate, EXECUTION_LOGGED, execute } from '../support/operations.ts';
import { collect } from '../support/subscription-results.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import {
  countDatabaseCalls,
  idsOf,
  rawSocket,
  SLIM,
  sseSubscription,
  until,
} from './shared-subscriptions-support.ts';

describe('subscriptions that share a viewer, document and variables', () => {
  let app: TestApp;
  let owner: string;
  let caller: string;
  let otherCaller: string;
  let stranger: string;
  let templateId: string;
  let ownerId = '';
  const ownerCalls = countDatabaseCalls(() => ownerId);

  const run = async (token: string, template = templateId) => {
    // Long enough for every stream to read the RUNNING row before the end: two events per run,
    // so the database calls per run are the same each time.
    app.modelServer.enqueue({ kind: 'delay', ms: 300 });
    const result = await execute(app, token, template);
    expect(result.errors).toBeUndefined();
    return result.data?.executeTemplate.execution.id as string;
  };

  beforeAll(async () => {
    app = await startTestApp({ plugins: [ownerCalls.plugin] });
    ownerId = app.userId('olive');
    [owner, caller, otherCaller, stranger] = await Promise.all([
      app.token('olive'),
      app.token('carl'),
      app.token('cora'),
      app.token('stan'),
    ]);
    templateId = await createTemplate(app, owner);
  });
  afterAll(() => app?.close());

  it("delivers each run exactly once to every socket of a viewer, and only what that viewer's RLS allows", async () => {
    const since = app.subscriptionsStarted();
    const pubSub = app.pubSub();
    const sockets = (token: string, count: number) =>
      Array.from({ length: count }, () => collect(app.ws(token), EXECUTION_LOGGED, { templateId }));
    const owners = sockets(owner, 4);
    const callers = sockets(caller, 4);
    const strangers = sockets(stranger, 3);
    await app.waitForSubscribers(11, since);
    // One pub/sub subscription for the template on this instance: every viewer's streams
    // follow its feed (log-feed.ts).
    expect(app.pubSub().started - pubSub.started).toBe(1);

    const first = await run(caller);
    const others = await run(otherCaller);
    const second = await run(caller);

    for (const socket of owners) {
      await socket.waitForFinals(3);
      expect(idsOf(socket.finals)).toEqual([first, others, second]);
      expect(socket.finals.map((r) => r.data?.executionLogged.caller.name)).toEqual([
        'carl',
        'cora',
        'carl',
      ]);
    }
    for (const socket of callers) {
      await socket.waitForFinals(2);
      expect(idsOf(socket.finals)).toEqual([first, second]);
    }
    // Give late duplicates, and the strangers' stream, a moment to show up.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const socket of owners) expect(idsOf(socket.finals)).toEqual([first, others, second]);
    for (const socket of callers) expect(idsOf(socket.finals)).toEqual([first, second]);
    for (const socket of strangers) expect(socket.results).toEqual([]);
    for (const socket of [...owners, ...callers, ...strangers]) socket.unsubscribe();
  });

  it('executes each run once per viewer, document and variables, however many sockets share them', async () => {
    const alone = await app.watch(owner, EXECUTION_LOGGED, { templateId });
    ownerCalls.calls.count = 0;
    await run(caller);
    await alone.waitForFinals(1);
    const oneSocket = ownerCalls.calls.count;
    alone.unsubscribe();
    // Re-reading the row, and the template and caller it selects, at least.
    expect(oneSocket).toBeGreaterThanOrEqual(2);

    const otherTemplate = await createTemplate(app, owner, { name: 'Limerick' });
    const since = app.subscriptionsStarted();
    const many = Array.from({ length: 6 }, () =>
      collect(app.ws(owner), EXECUTION_LOGGED, { templateId }),
    );
    const slim = collect(app.ws(owner), SLIM, { templateId });
    const elsewhere = collect(app.ws(owner), EXECUTION_LOGGED, { templateId: otherTemplate });
    await app.waitForSubscribers(8, since);
    ownerCalls.calls.count = 0;
    const id = await run(caller);
    for (const socket of many) expect(idsOf(await socket.waitForFinals(1))).toEqual([id]);
    await slim.waitForFinals(1);
    // Six sockets with the same key cost what one did; the slim document is a stream of its
    // own, whose reads (one per hint: the start and the end of the run, rarely a re-read) add a
    // few calls — nothing like six times as many.
    expect(ownerCalls.calls.count).toBeGreaterThanOrEqual(oneSocket);
    expect(ownerCalls.calls.count).toBeLessThanOrEqual(oneSocket + 3);

    // Another document gets its own shape; other variables their own events.
    expect(Object.keys(slim.finals[0]?.data?.executionLogged)).toEqual(['id', 'status']);
    const elsewhereId = await run(caller, otherTemplate);
    expect(idsOf(await elsewhere.waitForFinals(1))).toEqual([elsewhereId]);
    for (const socket of many) expect(idsOf(socket.finals)).toEqual([id]);
    for (const socket of [...many, slim, elsewhere]) socket.unsubscribe();
  });

  it('stops a subscription that completes, keeps its siblings, and releases pub/sub when the last leaves', async () => {
    await until(() => app.pubSub().open === 0, 'earlier tests to release pub/sub');
    const before = app.pubSub();
    const since = app.subscriptionsStarted();
    const socket = await rawSocket(app, caller);
    socket.subscribe('a', EXECUTION_LOGGED, { templateId });
    socket.subscribe('b', EXECUTION_LOGGED, { templateId });
    const sibling = collect(app.ws(caller), EXECUTION_LOGGED, { templateId });
    await app.waitForSubscribers(3, since);
    expect(app.pubSub()).toEqual({ started: before.started + 1, open: before.open + 1 });

    socket.complete('a');
    await socket.barrier();
    const id = await run(caller);
    expect(idsOf(await sibling.waitForFinals(1))).toEqual([id]);
    await until(() => socket.nextIds('b').length > 0, "b's event");
    await socket.barrier();
    expect(new Set(socket.nextIds('b'))).toEqual(new Set([id]));
    expect(socket.nextIds('a')).toEqual([]);

    socket.complete('b');
    sibling.unsubscribe();
    await until(() => app.pubSub().open === before.open, 'pub/sub to be released');
    if (stack.redisUrl) {
      // And Redis itself: nobody listens on the template's channel any more.
      const redis = new Redis(stack.redisUrl);
      const dbId = Buffer.from(templateId, 'base64').toString().split(':')[1];
      const channel = `${app.database.name}:executionLogged:${dbId}`;
      try {
        await until(
          async () => Number(((await redis.pubsub('NUMSUB', channel)) as unknown[])[1]) === 0,
          'Redis to have no subscriber',
        );
      } finally {
        redis.disconnect();
      }
    }

    // A subscriber after everyone left starts afresh, and hears only what comes after it.
    const fresh = await app.watch(caller, EXECUTION_LOGGED, { templateId });
    expect(app.pubSub().started).toBe(before.started + 2);
    const later = await run(caller);
    expect(idsOf(await fresh.waitForFinals(1))).toEqual([later]);
    await socket.barrier();
    expect(new Set(socket.nextIds('b'))).toEqual(new Set([id]));
    fresh.unsubscribe();
    socket.close();
  });

  it('shares one stream between a WebSocket and a server-sent-events subscriber of one viewer', async () => {
    await until(() => app.pubSub().open === 0, 'earlier tests to release pub/sub');
    const before = app.pubSub();
    const since = app.subscriptionsStarted();
    const overSocket = collect(app.ws(owner), EXECUTION_LOGGED, { templateId });
    const overHttp = await sseSubscription(app, owner, EXECUTION_LOGGED, { templateId });
    await app.waitForSubscribers(2, since);
    expect(app.pubSub().started).toBe(before.started + 1);

    const id = await run(caller);
    expect(idsOf(await overSocket.waitForFinals(1))).toEqual([id]);
    const finalOverHttp = () =>
      overHttp.results.filter((result) => result.data?.executionLogged?.status !== 'RUNNING');
    await until(() => finalOverHttp().length > 0, 'the SSE event');
    expect(idsOf(finalOverHttp())).toEqual([id]);

    // The HTTP subscriber goes away: the WebSocket one keeps receiving.
    overHttp.close();
    const next = await run(caller);
    expect(idsOf(await overSocket.waitForFinals(2))).toEqual([id, next]);
    overSocket.unsubscribe();
    await until(() => app.pubSub().open === before.open, 'pub/sub to be released');
  });

  it('still refuses anonymous and invalid subscriptions, each with its own error', async () => {
    const anonymous = [1, 2].map(() => collect(app.ws(null), EXECUTION_LOGGED, { templateId }));
    const unknown = Buffer.from(`Template:${randomUUID()}`).toString('base64');
    const missing = collect(app.ws(owner), EXECUTION_LOGGED, { templateId: unknown });
    for (const socket of anonymous) {
      const [refusal] = await socket.waitForFinals(1);
      expect(refusal?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(refusal?.data ?? null).toBeNull();
    }
    const [notFound] = await missing.waitForFinals(1);
    expect(notFound?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // Another subscribe of the same key is refused too, not left waiting on a stream.
    const again = collect(app.ws(owner), EXECUTION_LOGGED, { templateId: unknown });
    expect((await again.waitForFinals(1))[0]?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const valid = await app.watch(owner, EXECUTION_LOGGED, { templateId });
    const id = await run(caller);
    expect(idsOf(await valid.waitForFinals(1))).toEqual([id]);
    valid.unsubscribe();
  });
});
