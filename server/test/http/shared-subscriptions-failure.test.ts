import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createExecutionEvents,
  type ExecutionEvents,
} from '../../src/executions/execution-events.ts';
import { stack } from '../support/databases.ts';
import { createTemplate, EXECUTION_LOGGED, execute } from '../support/operations.ts';
import { collect } from '../support/subscription-results.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { idsOf } from './shared-subscriptions-support.ts';

/** Pub/sub whose open subscriptions can be made to fail, as a broken Redis connection would. */
function breakable(events: ExecutionEvents) {
  const failures = new Set<(error: Error) => void>();
  const state = { started: 0 };
  const wrapped: ExecutionEvents = {
    description: events.description,
    publish: events.publish,
    check: events.check,
    close: events.close,
    subscribe(templateId, options) {
      state.started++;
      const source = events.subscribe(templateId, options);
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
      await socket.waitForFinals(1);
      expect(socket.error).toBeTruthy();
      expect(socket.results).toEqual([]);
    }

    const fresh = await app.watch(owner, EXECUTION_LOGGED, { templateId });
    expect(pubSub.state.started).toBe(2);
    const run = await execute(app, caller, templateId);
    const id = run.data?.executeTemplate.execution.id;
    expect(idsOf(await fresh.waitForFinals(1))).toEqual([id]);
    fresh.unsubscribe();
  });
});
