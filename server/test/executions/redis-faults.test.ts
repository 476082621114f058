import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createExecutionEvents,
  type ExecutionEvents,
  type ExecutionLoggedEvent,
} from '../../src/executions/execution-events.ts';
import { stack } from '../support/databases.ts';
import { type PrivateRedis, startPrivateRedis } from '../support/private-servers.ts';

/** Longer than ioredis' default 20 retries (~10.5 s), after which it rejected pending commands. */
const OUTAGE_MS = 13_000;

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** How `promise` settled within `ms`: a hanging check() is a failure too. */
function settled(promise: Promise<unknown>, ms = 5_000) {
  return Promise.race([
    promise.then(
      () => 'resolved',
      () => 'rejected',
    ),
    sleep(ms).then(() => 'pending'),
  ]);
}

/** Reads a subscription in the background and keeps the ids it delivers. */
function reader(subscription: AsyncIterableIterator<ExecutionLoggedEvent>) {
  const read = { ids: [] as string[], error: undefined as unknown, end: () => {} };
  read.end = () => void subscription.return?.();
  (async () => {
    for await (const event of subscription) read.ids.push(event.id);
  })().catch((error) => {
    read.error = error;
  });
  return read;
}

// It brings its own redis-server (killed and restarted) and uses no database: TEST_REDIS_URL
// changes nothing, so it runs once, in the default run, not again in the PostgreSQL + Redis run.
describe.skipIf(Boolean(stack.redisUrl))('execution events when Redis fails', () => {
  const crashes: unknown[] = [];
  const onCrash = (error: unknown) => crashes.push(error);
  const logs: string[] = [];
  const namespace = `faults_${randomUUID()}`;
  const channelOf = (templateId: string) => `${namespace}:executionLogged:${templateId}`;
  // Templates whose subscribers: stay throughout, join during the outage, leave during it, and
  // share one channel (one of two leaves during it).
  const kept = randomUUID();
  const joinedDuring = randomUUID();
  const leftDuring = randomUUID();
  const sharedChannel = randomUUID();
  const endedDuring: string[] = [];
  let redis: PrivateRedis;
  let events: ExecutionEvents;
  let killRedis = () => {};
  let publishedDuringOutage = 0;
  let readers: Record<'kept' | 'joinedDuring' | 'sharedStays', ReturnType<typeof reader>>;

  /** Publishes an event every 100 ms until each reader got one of them. */
  async function publishUntilReceived(label: string, targets: [string, { ids: string[] }][]) {
    let n = 0;
    await until(() => {
      for (const [templateId] of targets) events.publish({ id: `${label}-${n}`, templateId });
      n++;
      return targets.every(([, read]) => read.ids.some((id) => id.startsWith(`${label}-`)));
    }, `"${label}" events to arrive`);
  }

  beforeAll(async () => {
    process.on('unhandledRejection', onCrash);
    process.on('uncaughtException', onCrash);
    redis = await startPrivateRedis();
    // If the test process dies, its redis-server must not outlive it.
    killRedis = () => void redis.kill();
    process.on('exit', killRedis);
    events = createExecutionEvents({ redisUrl: redis.url, namespace, log: (l) => logs.push(l) });
  });

  afterAll(async () => {
    await events?.close();
    await redis?.remove();
    process.off('exit', killRedis);
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
  });

  it('survives a 13 s outage while publishing, subscribing and unsubscribing; check() rejects', async () => {
    readers = {
      kept: reader(events.subscribe(kept)),
      joinedDuring: { ids: [], error: undefined, end: () => {} },
      sharedStays: reader(events.subscribe(sharedChannel)),
    };
    const leaving = reader(events.subscribe(leftDuring));
    const sharedLeaves = reader(events.subscribe(sharedChannel));
    await publishUntilReceived('before', [
      [kept, readers.kept],
      [leftDuring, leaving],
      [sharedChannel, readers.sharedStays],
    ]);
    // PING follows those PUBLISHes on the publisher's connection: none is left in flight.
    await events.check();
    expect(logs).toEqual([]);

    await redis.kill();
    const outageEnds = Date.now() + OUTAGE_MS;
    let previous: ReturnType<typeof reader> | undefined;
    let checkDuringOutage: Promise<string> | undefined;
    for (let tick = 0; Date.now() < outageEnds; tick++) {
      events.publish({ id: `lost-${publishedDuringOutage++}`, templateId: kept });
      // Every half second a subscriber joins a new channel and the previous one leaves.
      if (tick % 5 === 0) {
        previous?.end();
        const templateId = randomUUID();
        endedDuring.push(templateId);
        previous = reader(events.subscribe(templateId));
      }
      if (tick === 10) {
        readers.joinedDuring = reader(events.subscribe(joinedDuring));
        leaving.end();
        sharedLeaves.end();
        checkDuringOutage = settled(events.check());
      }
      await sleep(100);
    }
    previous?.end();

    expect(crashes).toEqual([]);
    expect(await checkDuringOutage).toBe('rejected');
    expect(await settled(events.check())).toBe('rejected');
    // One line for the whole outage, not one per failed publish or reconnection attempt.
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^\[pubsub\] Redis unavailable .*: live events are dropped/);
  }, 40_000);

  it('after it, check() resolves and subscribers from before and during it get new events', async () => {
    // (A no-op unless the test above failed before killing it: start() wants it stopped.)
    await redis.kill();
    await redis.start();
    await until(async () => (await settled(events.check())) === 'resolved', 'check() to resolve');
    await publishUntilReceived('after', [
      [kept, readers.kept],
      [joinedDuring, readers.joinedDuring],
      [sharedChannel, readers.sharedStays],
    ]);
    // Dropped, not queued and delivered late.
    expect(readers.kept.ids.filter((id) => id.startsWith('lost-'))).toEqual([]);
    await until(() => logs.length === 2, 'the recovery line');
    expect(logs[1]).toMatch(
      new RegExp(
        `^\\[pubsub\\] Redis is back after [0-9.]+ s; ${publishedDuringOutage} event\\(s\\)`,
      ),
    );

    // Subscribed again exactly to the channels still listened to.
    const raw = new Redis(redis.url);
    try {
      const numsub = async (templateId: string) =>
        Number(((await raw.pubsub('NUMSUB', channelOf(templateId))) as unknown[])[1]);
      for (const templateId of [kept, joinedDuring, sharedChannel])
        expect(await numsub(templateId)).toBe(1);
      for (const templateId of [leftDuring, ...endedDuring])
        expect(await numsub(templateId)).toBe(0);
    } finally {
      raw.disconnect();
    }
    expect(crashes).toEqual([]);
  }, 40_000);

  it('ignores messages on its channels that are not events, and delivers the next one', async () => {
    const raw = new Redis(redis.url);
    try {
      const garbage = ['not json', '', 'null', '42', '"text"', '[]', '{"id":7,"templateId":"x"}'];
      garbage.push(JSON.stringify({ id: 'no-template' }));
      garbage.push(JSON.stringify({ id: 'other-template', templateId: randomUUID() }));
      for (const message of garbage) await raw.publish(channelOf(kept), message);
    } finally {
      raw.disconnect();
    }
    events.publish({ id: 'valid', templateId: kept });
    await until(() => readers.kept.ids.includes('valid'), 'the valid event');
    // Redis delivers in order: the garbage came first, and none of it was delivered (only the
    // events published above, some of the last "after" ones possibly arriving late).
    expect(readers.kept.ids.filter((id) => !/^(before|after)-\d+$/.test(id))).toEqual(['valid']);
    expect(readers.kept.error).toBeUndefined();
    expect(crashes).toEqual([]);
  });
});
