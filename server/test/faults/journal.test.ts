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
// runs end while the database is down (at the end of the model call, or while the facilitator
// settles), the instance is killed before it could write them, and the restarted instance (same
// DATA_DIR, so the same journal) writes what each client was told, each charge on its success
// row, and publishes the events (seen by a subscriber on a second instance that stayed up).
// The suite brings its own PostgreSQL and Redis: default (PGlite) mode only, not twice.

describe.skipIf(skipFaultSuite)('final states kept in the journal across a crash', () => {
  useServerProcesses();
  let stack: FaultStack;

  beforeAll(async () => {
    stack = await startFaultStack({ redis: true, modelDelayMs: 5000 });
  });
  afterAll(() => stack?.close());

  /**
   * Starts `runs` (every other one paid, or all), stops the database once `outageDue()`, waits
   * for the clients' answers, SIGKILLs the instance, starts both again, and audits.
   */
  async function crashThroughOutage(
    label: string,
    plan: { runs: number; allPaid: boolean; outageDue: (templateDbId: string) => Promise<void> },
  ) {
    const env = { INSTANCE_LEASE_MS: '3000' };
    const [a, b] = await Promise.all([
      stack.server(`${label}-a`, { env }),
      stack.server(`${label}-b`, { env }),
    ]);
    const template = await createPricedTemplate(a.url, label);
    const { payer, payments } = await signPayments(a.url, template, plan.runs);
    const watcher = watchRuns(b.url, template.ownerToken, template.id);
    await sleep(500); // Redis acknowledges SUBSCRIBE asynchronously.

    const answers = Promise.all(
      Array.from({ length: plan.runs }, (_, i) =>
        runOnce(a.url, template, plan.allPaid || i % 2 === 1 ? payments[i] : undefined),
      ),
    );
    await plan.outageDue(template.dbId);
    await stack.postgres.stop();
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
    const line = `${summary(label, audit)} events=${published}/${finished.length} restartedAlive=${restarted.alive}`;
    console.log(line);
    watcher.close();
    await Promise.all([restarted.stop(), b.stop()]);
    return { audit, line, published, finished, told };
  }

  it('database down at the end of runs, SIGKILL, both back: every told outcome lands', {
    timeout: 150_000,
  }, async () => {
    // 6 runs, 3 paid, waiting 5 s on the model: the database stops while they all wait.
    stack.model.setDefault({ kind: 'delay', ms: 5000, after: { kind: 'text', text: 'A haiku.' } });
    stack.facilitator.settleDelayMs = 200;
    const { audit, line, published, finished, told } = await crashThroughOutage('journal-end', {
      runs: 6,
      allPaid: false,
      outageDue: (templateDbId) => waitForRows(stack.db, templateDbId, 'running', 6),
    });
    expect(audit.violations, line).toEqual([]);
    expect(published, `${line}: an event for each final state written late`).toBe(finished.length);
    expect(told.filter((o) => o.told === 'success').length, line).toBeGreaterThan(0);
  });

  it('database down while the facilitator settles, SIGKILL, both back: each charge lands on its success row', {
    timeout: 150_000,
  }, async () => {
    // 3 paid runs; the model answers at once, settling takes 4 s: the database stops meanwhile.
    stack.model.setDefault({ kind: 'delay', ms: 300, after: { kind: 'text', text: 'A haiku.' } });
    stack.facilitator.settleDelayMs = 4000;
    const settlesBefore = stack.facilitator.settleRequests;
    const { audit, line, published, finished } = await crashThroughOutage('journal-settling', {
      runs: 3,
      allPaid: true,
      outageDue: async () => {
        const deadline = Date.now() + 30_000;
        while (stack.facilitator.settleRequests < settlesBefore + 3 && Date.now() < deadline) {
          await sleep(50);
        }
      },
    });
    expect(audit.violations, line).toEqual([]);
    expect(audit.counts.charges, `${line}: the settlements went through`).toBe(3);
    expect(published, `${line}: an event for each final state written late`).toBe(finished.length);
  });
});
