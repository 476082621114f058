import { type ExecutionArgs, type ExecutionResult, parse } from 'graphql';
import { type Plugin, Repeater } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { MAX_QUEUED_RESULTS } from '../../src/http/plugins/shared-stream.ts';
import { useSharedSubscriptions } from '../../src/http/plugins/shared-subscriptions.ts';

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
      clientAddress: '192.0.2.7',
      resourceUrl: 'http://localhost/graphql',
      responseHeaders: new Headers({ 'x-first': 'subscriber' }),
      request: new Request('http://localhost/graphql'),
      extra: { socket: 'the first socket' },
      somethingNew: 'per request',
    };
    await shared?.({ ...argsFor('viewer'), contextValue: context });
    expect(Object.keys(executedWith).sort()).toEqual([
      'clientAddress',
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
    // The first subscriber's address is not the others'.
    expect(executedWith.clientAddress).toBeNull();
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
