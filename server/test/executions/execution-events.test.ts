import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createExecutionEvents, MAX_QUEUED_EVENTS } from '../../src/executions/execution-events.ts';
import { stack } from '../support/databases.ts';

const template = randomUUID();
const event = (n: number) => ({ id: `run-${n}`, templateId: template });

/** Yields until `check` holds (Redis delivers asynchronously). */
async function until(check: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// The machine's Redis in the PostgreSQL + Redis run (TEST_REDIS_URL), in-process otherwise.
describe(`execution events (${stack.redisUrl ? 'Redis' : 'in-process'})`, () => {
  const events = createExecutionEvents({
    redisUrl: stack.redisUrl,
    namespace: `pubsub_${randomUUID()}`,
  });
  afterAll(() => events.close());

  it('ends a subscriber that falls too far behind with an error, and only that one', async () => {
    const stalled = events.subscribe(template);
    const reading = events.subscribe(template);
    const received: string[] = [];
    const readAll = (async () => {
      for await (const next of reading) {
        received.push(next.id);
        if (received.length === MAX_QUEUED_EVENTS + 50) break;
      }
    })();
    // Let both listeners attach (a Redis SUBSCRIBE round trip) before publishing.
    await new Promise((resolve) => setTimeout(resolve, 200));
    // In bursts, with a turn of the event loop between them (runs end one at a time): the
    // reader keeps up, the stalled one does not.
    for (let n = 0; n < MAX_QUEUED_EVENTS + 50; n++) {
      events.publish(event(n));
      if (n % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    await readAll;
    expect(received).toEqual(Array.from({ length: MAX_QUEUED_EVENTS + 50 }, (_, n) => `run-${n}`));

    // The stalled one gets what was queued, then the error; the process did not crash.
    const queued: string[] = [];
    const drained = (async () => {
      for await (const next of stalled) queued.push(next.id);
    })();
    await expect(drained).rejects.toThrow(/events were waiting: resubscribe/);
    await expect(drained).rejects.toMatchObject({ extensions: { code: 'SUBSCRIPTION_OVERFLOW' } });
    expect(queued).toEqual(Array.from({ length: MAX_QUEUED_EVENTS }, (_, n) => `run-${n}`));
  });

  it('stops delivering to a subscriber that returned, and delivers to a new one', async () => {
    const first = events.subscribe(template);
    await new Promise((resolve) => setTimeout(resolve, 200));
    events.publish(event(1));
    expect((await first.next()).value).toEqual(event(1));
    await first.return?.();
    expect(await first.next()).toEqual({ value: undefined, done: true });

    const second = events.subscribe(template);
    const got: string[] = [];
    const reading = (async () => {
      for await (const next of second) {
        got.push(next.id);
        break;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    events.publish(event(2));
    await reading;
    await until(() => got.length === 1);
    expect(got).toEqual(['run-2']);
  });
});
