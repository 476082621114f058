import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useServerProcesses } from '../support/server-process.ts';
import {
  createPricedTemplate,
  type FaultStack,
  signPayments,
  skipFaultSuite,
  startFaultStack,
} from './fault-stack.ts';
import { watchRuns } from './graphql-client.ts';
import { awaitLedger, summary, waitForRows } from './ledger.ts';
import { runOnce } from './runs.ts';

// Issue 10, "database down, then SIGKILL, then both back: the journal lands every final state":
// runs end while the database is down, the instance is killed before it could write them, and
// the restarted instance (same DATA_DIR, so the same journal) writes what each client was told,
// and publishes the events (seen by a subscriber on a second instance that stayed up).
// The suite brings its own PostgreSQL and Redis: default (PGlite) mode only, not twice.

const RUNS = 6;

describe.skipIf(skipFaultSuite)('final states kept in the journal across a crash', () => {
  useServerProcesses();
  let stack: FaultStack;

  beforeAll(async () => {
    stack = await startFaultStack({ redis: true, modelDelayMs: 4000, settleDelayMs: 200 });
  });
  afterAll(() => stack?.close());

  it('database down at the end of runs, SIGKILL, both back: every told outcome lands', {
    timeout: 150_000,
  }, async () => {
    const env = { INSTANCE_LEASE_MS: '3000' };
    const [a, b] = await Promise.all([
      stack.server('journal-a', { env }),
      stack.server('journal-b', { env }),
    ]);
    const template = await createPricedTemplate(a.url, 'journal');
    const { payer, payments } = await signPayments(a.url, template, RUNS / 2);
    const watcher = watchRuns(b.url, template.ownerToken, template.id);
    await sleep(500); // Redis acknowledges SUBSCRIBE asynchronously.

    // Half paid, half free, all waiting on the model.
    const answers = Promise.all(
      Array.from({ length: RUNS }, (_, i) =>
        runOnce(a.url, template, i % 2 === 1 ? payments[(i - 1) / 2] : undefined),
      ),
    );
    await waitForRows(stack.db, template.dbId, 'running', RUNS);
    await stack.postgres.stop();
    // The model answers 4 s after each run started: every run ends while the database is down.
    const outcomes = await Promise.race([answers, sleep(60_000).then(() => null)]);
    expect(outcomes, 'the clients had no answer 60 s after their runs ended').not.toBeNull();
    a.kill('SIGKILL');
    await a.exited;
    await stack.postgres.start();
    const restarted = await a.restart();
    const told = outcomes ?? [];

    const audit = await awaitLedger(
      stack.db,
      {
        templateDbId: template.dbId,
        payer,
        outcomes: told,
        charges: stack.facilitator.charges.filter((charge) => charge.payer === payer),
      },
      30_000,
    );
    const finished = told.flatMap((o) => (o.runId ? [o.runId] : []));
    const deadline = Date.now() + 15_000;
    while (finished.some((id) => !watcher.ids().includes(id)) && Date.now() < deadline) {
      await sleep(250);
    }
    const published = finished.filter((id) => watcher.ids().includes(id)).length;
    const line = `${summary('journal', audit)} events=${published}/${finished.length} restartedAlive=${restarted.alive}`;
    console.log(line);
    watcher.close();

    expect(audit.violations, line).toEqual([]);
    expect(published, `${line}: an event for each final state written late`).toBe(finished.length);
    expect(told.filter((o) => o.told === 'success').length, line).toBeGreaterThan(0);
  });
});
