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
import { idsOf, until } from './shared-subscriptions-support.ts';

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

  it('keeps every subscriber when pub/sub fails: the feed reads from the database and listens again', async () => {
    const [owner, caller] = await Promise.all([app.token('olive'), app.token('carl')]);
    const templateId = await createTemplate(app, owner);
    const since = app.subscriptionsStarted();
    const sockets = [1, 2, 3].map(() => collect(app.ws(owner), EXECUTION_LOGGED, { templateId }));
    await app.waitForSubscribers(3, since);
    expect(pubSub.state.started).toBe(1);

    pubSub.fail(new Error('pub/sub connection lost'));
    // A run while the feed has no pub/sub: the failure itself makes it read, and it listens again.
    const during = (await execute(app, caller, templateId)).data?.executeTemplate.execution.id;
    for (const socket of sockets) expect(idsOf(await socket.waitForFinals(1))).toEqual([during]);
    await until(() => pubSub.state.started === 2, 'the feed to listen again');

    const after = (await execute(app, caller, templateId)).data?.executeTemplate.execution.id;
    for (const socket of sockets) {
      expect(idsOf(await socket.waitForFinals(2))).toEqual([during, after]);
      expect(socket.error).toBeNull();
      socket.unsubscribe();
    }
  });
});
