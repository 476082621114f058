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
import { readRows, reservationStates, waitForRows } from './ledger.ts';
import { runOnce } from './runs.ts';

// Issue 10, "SIGKILL with 50 runs in flight, restart: all 50 FAILED "interrupted" within 60 s,
// their reservations released; a run longer than the sweep age is never swept".
// The suite brings its own PostgreSQL: default (PGlite) mode only, not twice.

const LEASE_MS = 3000;
const env = { INSTANCE_LEASE_MS: String(LEASE_MS), RUN_DEADLINE_MS: '60000' };
const text = { kind: 'text', text: 'A haiku.' } as const;

describe.skipIf(skipFaultSuite)('runs of a crashed instance, and live runs', () => {
  useServerProcesses();
  let stack: FaultStack;

  beforeAll(async () => {
    stack = await startFaultStack({ modelDelayMs: 120_000 });
  });
  afterAll(() => stack?.close());

  it('SIGKILL with 50 runs in flight, restart: all 50 FAILED "interrupted" within 60 s, payments released', {
    timeout: 150_000,
  }, async () => {
    stack.model.setDefault({ kind: 'delay', ms: 120_000, after: text });
    const server = await stack.server('crash', { env });
    const template = await createPricedTemplate(server.url, 'crash');
    const { payer, payments } = await signPayments(server.url, template, 12);
    // 50 runs, 12 of them paid, all waiting on a model that takes two minutes.
    const answers = Array.from({ length: 50 }, (_, i) =>
      runOnce(server.url, template, i % 4 === 3 ? payments[(i - 3) / 4] : undefined),
    );
    await waitForRows(stack.db, template.dbId, 'running', 50);
    server.kill('SIGKILL');
    await server.exited;
    await Promise.all(answers);
    const restarted = await server.restart();
    const restartedAt = Date.now();

    let rows = await readRows(stack.db, template.dbId);
    const interrupted = () =>
      [...rows.values()].filter(
        (r) => r.status === 'failed' && /interrupted/.test(r.error_message ?? ''),
      );
    while (interrupted().length < 50 && Date.now() - restartedAt < 60_000) {
      await sleep(500);
      rows = await readRows(stack.db, template.dbId);
    }
    const sweptAfterMs = Date.now() - restartedAt;
    const reservations = await reservationStates(stack.db, payer);
    const charges = stack.facilitator.charges.filter((charge) => charge.payer === payer).length;
    const statuses: Record<string, number> = {};
    for (const row of rows.values()) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
    const line = `[faults] sigkill-50: ${JSON.stringify({ runs: 50, paid: 12, rows: rows.size, statuses, interrupted: interrupted().length, reservations, charges, crashedInstances: 1, timeToSweepMs: interrupted().length === 50 ? sweptAfterMs : null })}`;
    console.log(line);

    expect(interrupted().length, line).toBe(50);
    expect(reservations, `${line}: the payers' authorizations are free again`).toEqual({
      released: 12,
    });
    expect(charges, line).toBe(0);
    expect(restarted.alive).toBe(true);
  });

  it(`a run on a live instance lasting over 3 leases (${3 * LEASE_MS} ms) is never swept by another`, {
    timeout: 120_000,
  }, async () => {
    const runMs = 3 * LEASE_MS + 3000;
    stack.model.setDefault({ kind: 'delay', ms: runMs, after: text });
    const [a, b] = await Promise.all([
      stack.server('live-a', { env }),
      stack.server('live-b', { env }),
    ]);
    const template = await createPricedTemplate(a.url, 'live');
    const answer = runOnce(a.url, template);
    await waitForRows(stack.db, template.dbId, 'running', 1);
    // Every status the row shows while the run lasts: a sweep would show as `failed`.
    const seen: string[] = [];
    let done = false;
    const told = answer.finally(() => {
      done = true;
    });
    while (!done) {
      const [row] = (await readRows(stack.db, template.dbId)).values();
      if (row && seen.at(-1) !== row.status) seen.push(row.status);
      await sleep(200);
    }
    const outcome = await told;
    const [row] = (await readRows(stack.db, template.dbId)).values();
    if (row && seen.at(-1) !== row.status) seen.push(row.status);
    const line = `[faults] live-run-not-swept: ${JSON.stringify({ runMs, leaseMs: LEASE_MS, told: outcome.told, statusesSeen: seen, bothAlive: a.alive && b.alive })}`;
    console.log(line);

    expect(outcome.told, line).toBe('success');
    expect(seen, line).toEqual(['running', 'success']);
  });
});
