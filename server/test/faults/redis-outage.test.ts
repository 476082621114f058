import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, useServerProcesses } from '../support/server-process.ts';
import {
  createPricedTemplate,
  type FaultStack,
  signPayments,
  skipFaultSuite,
  startFaultStack,
} from './fault-stack.ts';
import { isAlive, watchRuns } from './graphql-client.ts';
import { awaitLedger, summary } from './ledger.ts';
import { type Outcome, runOnce, runStream } from './runs.ts';

// Issue 10, "Redis killed for 30 s with two instances under runs and subscriptions: 0 crashed
// instances, 0 runs unlogged" — and once Redis is back, the instances resubscribe by themselves.
// The suite brings its own PostgreSQL and Redis: default (PGlite) mode only, not twice.

const OUTAGE_MS = 30_000;

describe.skipIf(skipFaultSuite)('Redis down for 30 s under two instances', () => {
  useServerProcesses();
  let stack: FaultStack;

  beforeAll(async () => {
    stack = await startFaultStack({ redis: true, modelDelayMs: 500, settleDelayMs: 100 });
  });
  afterAll(() => stack?.close());

  it('0 crashed instances, 0 runs unlogged, live events again afterwards', {
    timeout: 150_000,
  }, async () => {
    const redis = stack.redis;
    if (!redis) throw new Error('the stack has Redis');
    const env = { INSTANCE_LEASE_MS: '3000' };
    const [a, b] = await Promise.all([
      stack.server('redis-a', { env }),
      stack.server('redis-b', { env }),
    ]);
    const template = await createPricedTemplate(a.url, 'redis');
    const { payer, payments } = await signPayments(a.url, template, 12);
    // Subscribers on both instances, joined before the outage and kept through it.
    const watchers = [a, b].map((server) =>
      watchRuns(server.url, template.ownerToken, template.id),
    );
    // graphql-ws does not acknowledge a subscribe, and a subscriber without `after` starts live:
    // warm-up runs until one reaches both show that both are listening (a fixed wait was not
    // enough on a loaded machine, and the runs before that were rightly not theirs).
    const warmUps: Outcome[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const warmUp = await runOnce(a.url, template);
      warmUps.push(warmUp);
      const reached = () =>
        watchers.every((watcher) => warmUp.runId && watcher.ids().includes(warmUp.runId));
      const until = Date.now() + 2000;
      while (!reached() && Date.now() < until) await sleep(100);
      if (reached()) break;
    }

    // Liveness every second, from the start of the stream to the end of the checks.
    const down = new Set<string>();
    let watching = true;
    const probing = (async () => {
      while (watching) {
        for (const server of [a, b]) {
          if (!server.alive || !(await isAlive(server.url))) down.add(server.name);
        }
        await sleep(1000);
      }
    })();

    let turn = 0;
    const bothInTurn = () => [a, b][turn++ % 2]?.url as string;
    // 48 runs over 36 s: before, during and after the outage, half on each instance.
    const streaming = runStream(bothInTurn, template, {
      runs: 48,
      concurrency: 4,
      intervalMs: 750,
      paidEvery: 4,
      payments,
    });
    await sleep(3000);
    await redis.kill();
    await sleep(OUTAGE_MS);
    await redis.start();
    const streamed = await streaming;
    const outcomes = [...warmUps, ...streamed];

    // The database is the truth, pub/sub a hint: after Redis is back, every subscriber on both
    // instances catches up with every run of the outage (it re-reads when it resubscribes).
    const finished = streamed.flatMap((o) => (o.told === 'success' && o.runId ? [o.runId] : []));
    const missingOf = () =>
      watchers.map((watcher) => finished.filter((id) => !watcher.ids().includes(id)).length);
    const caughtUpBy = Date.now() + 5000;
    while (missingOf().some((n) => n > 0) && Date.now() < caughtUpBy) await sleep(100);
    const missingAfterOutage = missingOf();

    // Resubscribed by themselves: a run on A after the outage reaches B's subscriber, and back.
    const deliveredAfter = { a: false, b: false };
    const deadline = Date.now() + 30_000;
    while (!(deliveredAfter.a && deliveredAfter.b) && Date.now() < deadline) {
      for (const [from, to, key] of [
        [a, 1, 'b'],
        [b, 0, 'a'],
      ] as const) {
        if (deliveredAfter[key]) continue;
        const probe = await runOnce(from.url, template);
        outcomes.push(probe);
        await sleep(1000);
        if (probe.runId && watchers[to]?.ids().includes(probe.runId)) deliveredAfter[key] = true;
      }
    }
    watching = false;
    await probing;
    const alive = [a, b].filter((server: ServerProcess) => server.alive).length;

    const audit = await awaitLedger(
      stack.db,
      {
        templateDbId: template.dbId,
        payer,
        outcomes,
        charges: stack.facilitator.charges.filter((charge) => charge.payer === payer),
      },
      30_000,
    );
    const events = watchers.map((watcher) => watcher.ids().length);
    for (const watcher of watchers) watcher.close();
    const line = `${summary('redis-30s', audit)} crashedInstances=${2 - alive} unresponsive=${[...down].join(',') || 'none'} eventsPerSubscriber=${events.join('/')} missingWithin5sOfReturn=${missingAfterOutage.join('/')} liveAgain=${JSON.stringify(deliveredAfter)}`;
    console.log(line);

    expect(2 - alive, `${line}: crashed instances`).toBe(0);
    expect([...down], `${line}: instances that did not answer`).toEqual([]);
    expect(audit.violations, line).toEqual([]);
    expect(deliveredAfter, `${line}: subscribers get events again`).toEqual({ a: true, b: true });
    expect(missingAfterOutage, `${line}: runs missing 5 s after Redis was back`).toEqual([0, 0]);
    expect(
      watchers.map((watcher) => watcher.failure() ?? null),
      line,
    ).toEqual([null, null]);
  });
});
