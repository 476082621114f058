import { randomUUID } from 'node:crypto';
import { type ExecutionArgs, type ExecutionResult, parse } from 'graphql';
import { type Plugin, Repeater } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  createExecutionEvents,
  type ExecutionEvents,
} from '../../src/executions/execution-events.ts';
import { MAX_QUEUED_RESULTS } from '../../src/http/plugins/shared-stream.ts';
import { useSharedSubscriptions } from '../../src/http/plugins/shared-subscriptions.ts';
import type { Context } from '../../src/schema/context.ts';
import { stack } from '../support/databases.ts';
import { createTemplate, EXECUTION_LOGGED, execute } from '../support/operations.ts';
import { collect } from '../support/subscription-results.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const SLIM = `subscription Slim($templateId: ID!) { executionLogged(templateId: $templateId) { id status } }`;

/** Polls until `check` holds, or fails with `what` after `ms`. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const idsOf = (results: Array<{ data?: Record<string, any> | null }>) =>
  results.map((result) => result.data?.executionLogged?.id);

/**
 * Counts the database calls made by `userId`'s GraphQL contexts (Prisma operations and raw reads
 * as the viewer), through a Yoga plugin: the app's own seam for extra plugins.
 */
function countDatabaseCalls(userId: () => string) {
  const calls = { count: 0 };
  const plugin: Plugin = {
    onContextBuilding({ context, extendContext }) {
      const built = context as unknown as Partial<Context>;
      if (!built.db || built.viewer?.id !== userId()) return;
      const readAsViewer = (built as { readAsViewer?: (statements: string[]) => Promise<unknown> })
        .readAsViewer;
      extendContext({
        db: built.db.$extends({
          query: {
            $allModels: {
              $allOperations({ args, query }) {
                calls.count++;
                return query(args);
              },
            },
          },
        }),
        ...(readAsViewer
          ? {
              readAsViewer: (statements: string[]) => {
                calls.count++;
                return readAsViewer(statements);
              },
            }
          : {}),
      } as never);
    },
  };
  return { calls, plugin };
}

/** A graphql-ws client spoken by hand: what the server really sends, per subscription id. */
async function rawSocket(app: TestApp, token: string) {
  const socket = new WebSocket(`${app.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: Array<{ id?: string; type: string; payload?: any }> = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const send = (message: object) => socket.send(JSON.stringify(message));
  send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
  await until(() => messages.some((m) => m.type === 'connection_ack'), 'connection_ack');
  let pings = 0;
  return {
    subscribe: (id: string, query: string, variables: object) =>
      send({ id, type: 'subscribe', payload: { query, variables } }),
    complete: (id: string) => send({ id, type: 'complete' }),
    /** Resolves once the server has handled every message sent before it. */
    async barrier() {
      const seen = ++pings;
      send({ type: 'ping' });
      await until(() => messages.filter((m) => m.type === 'pong').length >= seen, 'pong');
    },
    nextIds: (id: string) =>
      messages
        .filter((m) => m.id === id && m.type === 'next')
        .map((m) => m.payload.data.executionLogged.id),
    close: () => socket.close(),
  };
}

/** A subscription over HTTP (server-sent events), as Yoga serves it. */
async function sseSubscription(app: TestApp, token: string, query: string, variables: object) {
  const controller = new AbortController();
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: {
      accept: 'text/event-stream',
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
  const results: Array<{ data?: Record<string, any> | null }> = [];
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  void (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const data = lines.find((line) => line.startsWith('data: '));
        if (lines.includes('event: next') && data) results.push(JSON.parse(data.slice(6)));
      }
    }
  })();
  return { results, close: () => controller.abort() };
}

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
    // One pub/sub subscription per viewer: the sockets of a viewer share it.
    expect(app.pubSub().started - pubSub.started).toBe(3);

    const first = await run(caller);
    const others = await run(otherCaller);
    const second = await run(caller);

    for (const socket of owners) {
      await socket.waitFor(3);
      expect(idsOf(socket.results)).toEqual([first, others, second]);
      expect(socket.results.map((r) => r.data?.executionLogged.caller.name)).toEqual([
        'carl',
        'cora',
        'carl',
      ]);
    }
    for (const socket of callers) {
      await socket.waitFor(2);
      expect(idsOf(socket.results)).toEqual([first, second]);
    }
    // Give late duplicates, and the strangers' stream, a moment to show up.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const socket of owners) expect(idsOf(socket.results)).toEqual([first, others, second]);
    for (const socket of callers) expect(idsOf(socket.results)).toEqual([first, second]);
    for (const socket of strangers) expect(socket.results).toEqual([]);
    for (const socket of [...owners, ...callers, ...strangers]) socket.unsubscribe();
  });

  it('executes each run once per viewer, document and variables, however many sockets share them', async () => {
    const alone = await app.watch(owner, EXECUTION_LOGGED, { templateId });
    ownerCalls.calls.count = 0;
    await run(caller);
    await alone.waitFor(1);
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
    for (const socket of many) expect(idsOf(await socket.waitFor(1))).toEqual([id]);
    await slim.waitFor(1);
    // Six sockets with the same key cost what one did; the slim document is executed on its
    // own (its row read is shared with the other document's, so it adds at most that much).
    expect(ownerCalls.calls.count).toBeGreaterThanOrEqual(oneSocket);
    expect(ownerCalls.calls.count).toBeLessThanOrEqual(oneSocket + 1);

    // Another document gets its own shape; other variables their own events.
    expect(Object.keys(slim.results[0]?.data?.executionLogged)).toEqual(['id', 'status']);
    const elsewhereId = await run(caller, otherTemplate);
    expect(idsOf(await elsewhere.waitFor(1))).toEqual([elsewhereId]);
    for (const socket of many) expect(idsOf(socket.results)).toEqual([id]);
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
    expect(idsOf(await sibling.waitFor(1))).toEqual([id]);
    await until(() => socket.nextIds('b').length > 0, "b's event");
    await socket.barrier();
    expect(socket.nextIds('b')).toEqual([id]);
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
    expect(idsOf(await fresh.waitFor(1))).toEqual([later]);
    await socket.barrier();
    expect(socket.nextIds('b')).toEqual([id]);
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
    expect(idsOf(await overSocket.waitFor(1))).toEqual([id]);
    await until(() => overHttp.results.length > 0, 'the SSE event');
    expect(idsOf(overHttp.results)).toEqual([id]);

    // The HTTP subscriber goes away: the WebSocket one keeps receiving.
    overHttp.close();
    const next = await run(caller);
    expect(idsOf(await overSocket.waitFor(2))).toEqual([id, next]);
    overSocket.unsubscribe();
    await until(() => app.pubSub().open === before.open, 'pub/sub to be released');
  });

  it('still refuses anonymous and invalid subscriptions, each with its own error', async () => {
    const anonymous = [1, 2].map(() => collect(app.ws(null), EXECUTION_LOGGED, { templateId }));
    const unknown = Buffer.from(`Template:${randomUUID()}`).toString('base64');
    const missing = collect(app.ws(owner), EXECUTION_LOGGED, { templateId: unknown });
    for (const socket of anonymous) {
      const [refusal] = await socket.waitFor(1);
      expect(refusal?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(refusal?.data ?? null).toBeNull();
    }
    const [notFound] = await missing.waitFor(1);
    expect(notFound?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // Another subscribe of the same key is refused too, not left waiting on a stream.
    const again = collect(app.ws(owner), EXECUTION_LOGGED, { templateId: unknown });
    expect((await again.waitFor(1))[0]?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const valid = await app.watch(owner, EXECUTION_LOGGED, { templateId });
    const id = await run(caller);
    expect(idsOf(await valid.waitFor(1))).toEqual([id]);
    valid.unsubscribe();
  });
});

/** Pub/sub whose open subscriptions can be made to fail, as a broken Redis connection would. */
function breakable(events: ExecutionEvents) {
  const failures = new Set<(error: Error) => void>();
  const state = { started: 0 };
  const wrapped: ExecutionEvents = {
    description: events.description,
    publish: events.publish,
    close: events.close,
    subscribe(templateId) {
      state.started++;
      const source = events.subscribe(templateId);
      let fail: (error: Error) => void = () => {};
      const failed = new Promise<never>((_, reject) => {
        fail = reject;
      });
      failed.catch(() => {});
      failures.add(fail);
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        next: () => Promise.race([source.next(), failed]),
        return: (value?: unknown) => {
          failures.delete(fail);
          return source.return?.(value) ?? Promise.resolve({ value, done: true as const });
        },
      };
    },
  };
  return {
    events: wrapped,
    state,
    fail(error: Error) {
      for (const fail of failures) fail(error);
      failures.clear();
    },
  };
}

describe('a shared stream whose source fails', () => {
  let app: TestApp;
  const pubSub = breakable(
    createExecutionEvents({ redisUrl: stack.redisUrl, namespace: `shared_${randomUUID()}` }),
  );
  beforeAll(async () => {
    app = await startTestApp({ services: { events: pubSub.events } });
  });
  afterAll(async () => {
    await app?.close();
    await pubSub.events.close();
  });

  it('ends every subscriber of the key with the error, and the next subscriber starts afresh', async () => {
    const [owner, caller] = await Promise.all([app.token('olive'), app.token('carl')]);
    const templateId = await createTemplate(app, owner);
    const since = app.subscriptionsStarted();
    const sockets = [1, 2, 3].map(() => collect(app.ws(owner), EXECUTION_LOGGED, { templateId }));
    await app.waitForSubscribers(3, since);
    expect(pubSub.state.started).toBe(1);

    pubSub.fail(new Error('pub/sub connection lost'));
    for (const socket of sockets) {
      await socket.waitFor(1);
      expect(socket.error).toBeTruthy();
      expect(socket.results).toEqual([]);
    }

    const fresh = await app.watch(owner, EXECUTION_LOGGED, { templateId });
    expect(pubSub.state.started).toBe(2);
    const run = await execute(app, caller, templateId);
    const id = run.data?.executeTemplate.execution.id;
    expect(idsOf(await fresh.waitFor(1))).toEqual([id]);
    fresh.unsubscribe();
  });
});

describe('the shared stream itself', () => {
  const document = parse('subscription { executionLogged(templateId: "x") { id } }');
  const argsFor = (viewerId: string) =>
    ({
      schema: {},
      document,
      contextValue: { viewer: { id: viewerId } },
    }) as never as ExecutionArgs;

  /** Subscribes through the plugin, with `subscribe` as the underlying subscribe. */
  function subscribeWith(
    plugin: Plugin,
    subscribe: () => Promise<AsyncIterable<ExecutionResult> | ExecutionResult>,
    viewerId = 'viewer',
  ) {
    let shared: ((args: ExecutionArgs) => Promise<unknown>) | undefined;
    plugin.onSubscribe?.({
      subscribeFn: subscribe,
      setSubscribeFn: (fn: typeof shared) => {
        shared = fn;
      },
    } as never);
    return (shared as NonNullable<typeof shared>)(argsFor(viewerId)) as Promise<
      AsyncIterableIterator<ExecutionResult> | ExecutionResult
    >;
  }

  /** A source the test pushes into; `stopped` once the shared stream released it. */
  function source() {
    const state = { push: (_: ExecutionResult) => {}, fail: (_: Error) => {}, stopped: false };
    const repeater = new Repeater<ExecutionResult>(async (push, stop) => {
      state.push = (value) => void push(value);
      state.fail = (error) => stop(error);
      await stop;
      state.stopped = true;
    });
    return { repeater, state };
  }

  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

  it('ends a subscriber that falls too far behind, after what it has queued, and no one else', async () => {
    const plugin = useSharedSubscriptions();
    const { repeater, state } = source();
    const slow = (await subscribeWith(plugin, async () => repeater)) as AsyncIterableIterator<any>;
    const fast = (await subscribeWith(plugin, async () => {
      throw new Error('a second source');
    })) as AsyncIterableIterator<any>;
    const fastSeen: number[] = [];
    void (async () => {
      for await (const result of fast) fastSeen.push(result.data.n);
    })();
    for (let n = 0; n <= MAX_QUEUED_RESULTS; n++) {
      state.push({ data: { n } });
      await tick();
    }
    expect(fastSeen).toHaveLength(MAX_QUEUED_RESULTS + 1);
    for (let n = 0; n < MAX_QUEUED_RESULTS; n++) {
      expect((await slow.next()).value.data.n).toBe(n);
    }
    const overflow = slow.next();
    await expect(overflow).rejects.toThrow(/resubscribe/);
    await expect(overflow).rejects.toMatchObject({ extensions: { code: 'SUBSCRIPTION_OVERFLOW' } });
    expect(await slow.next()).toEqual({ value: undefined, done: true });

    state.push({ data: { n: -1 } });
    await tick();
    expect(fastSeen.at(-1)).toBe(-1);
    expect(state.stopped).toBe(false);
    await fast.return?.();
    await tick();
    expect(state.stopped).toBe(true);
  });

  it("executes with only the context fields a shared execution may use, not the request's", async () => {
    const plugin = useSharedSubscriptions();
    let shared: ((args: ExecutionArgs) => Promise<unknown>) | undefined;
    let executedWith: Record<string, unknown> = {};
    plugin.onSubscribe?.({
      subscribeFn: async (args: ExecutionArgs) => {
        executedWith = args.contextValue as Record<string, unknown>;
        return { errors: [] };
      },
      setSubscribeFn: (fn: typeof shared) => {
        shared = fn;
      },
    } as never);
    const context = {
      viewer: { id: 'viewer' },
      db: {},
      readAsViewer: async () => [],
      services: {},
      paymentHeader: 'a payment',
      resourceUrl: 'http://localhost/graphql',
      responseHeaders: new Headers({ 'x-first': 'subscriber' }),
      request: new Request('http://localhost/graphql'),
      extra: { socket: 'the first socket' },
      somethingNew: 'per request',
    };
    await shared?.({ ...argsFor('viewer'), contextValue: context });
    expect(Object.keys(executedWith).sort()).toEqual([
      'db',
      'paymentHeader',
      'readAsViewer',
      'resourceUrl',
      'responseHeaders',
      'services',
      'viewer',
    ]);
    expect(executedWith.viewer).toBe(context.viewer);
    expect(executedWith.db).toBe(context.db);
    expect(executedWith.paymentHeader).toBeNull();
    expect([...(executedWith.responseHeaders as Headers)]).toEqual([]);
  });

  it('gives a refusal to the subscriber whose subscribe made it, and keeps nothing', async () => {
    const plugin = useSharedSubscriptions();
    const refusal: ExecutionResult = { errors: [] };
    expect(await subscribeWith(plugin, async () => refusal)).toBe(refusal);
    const { repeater, state } = source();
    const stream = (await subscribeWith(
      plugin,
      async () => repeater,
    )) as AsyncIterableIterator<any>;
    state.push({ data: { n: 1 } });
    expect((await stream.next()).value).toEqual({ data: { n: 1 } });
    await stream.return?.();
  });

  it('ends every subscriber with the error the source throws, then starts a new source', async () => {
    const plugin = useSharedSubscriptions();
    const { repeater, state } = source();
    const first = (await subscribeWith(plugin, async () => repeater)) as AsyncIterableIterator<any>;
    const second = (await subscribeWith(
      plugin,
      async () => repeater,
    )) as AsyncIterableIterator<any>;
    const other = source();
    const otherViewer = (await subscribeWith(
      plugin,
      async () => other.repeater,
      'another viewer',
    )) as AsyncIterableIterator<any>;
    const pending = [first.next(), second.next()];
    state.fail(new Error('source broke'));
    for (const next of pending) await expect(next).rejects.toThrow('source broke');

    other.state.push({ data: { n: 2 } });
    expect((await otherViewer.next()).value).toEqual({ data: { n: 2 } });
    const again = source();
    const third = (await subscribeWith(
      plugin,
      async () => again.repeater,
    )) as AsyncIterableIterator<any>;
    again.state.push({ data: { n: 3 } });
    expect((await third.next()).value).toEqual({ data: { n: 3 } });
    await Promise.all([third.return?.(), otherViewer.return?.()]);
  });
});
