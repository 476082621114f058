import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { ExecutionLoggedEvent } from '../../src/executions/execution-events.ts';
import { createExecutionLog } from '../../src/executions/execution-log.ts';
import { createRunJournal } from '../../src/executions/run-journal.ts';
import { createRunRecovery } from '../../src/executions/run-recovery.ts';
import { DEMO_OWNER, seedDemoData } from '../../src/templates/demo-seed.ts';
import { successfulRun } from '../support/final-states.ts';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-servers.ts';

const LOG = 'x402_prompt_template_usage_logs';

// A database of its own that can really go away (pg_ctl stop), so this file runs in one mode
// only: it does not use TEST_DATABASE_URL.
describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))(
  'nothing lost through a database outage',
  () => {
    let cluster: PrivatePostgres;
    let db: Database;
    let templateId: string;
    const dirs: string[] = [];

    beforeAll(async () => {
      cluster = await startPrivatePostgres();
      const admin = new pg.Client(cluster.url());
      await admin.connect();
      await admin.query('CREATE DATABASE pm');
      await admin.end();
      db = await openDatabase({ databaseUrl: cluster.url('pm'), poolSize: 4 });
      await migrate(db);
      await seedDemoData(db);
      [{ id: templateId }] = (await db.query<{ id: string }>(
        'SELECT id FROM templates LIMIT 1',
      )) as [{ id: string }];
    });
    afterAll(async () => {
      await db?.close();
      await cluster?.remove();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    const journalDir = () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pm-journal-'));
      dirs.push(dir);
      return dir;
    };
    const finalState = () => successfulRun(templateId, DEMO_OWNER.id);
    const rowOf = async (id: string) =>
      (
        await db.query(`SELECT status, error_message, output_tokens FROM ${LOG} WHERE id = $1`, [
          id,
        ])
      )[0];

    it('journals a final state the database cannot take, writes it once it is back, then publishes', async () => {
      const dir = journalDir();
      const published: ExecutionLoggedEvent[] = [];
      const log = createExecutionLog(db, {
        instanceId: randomUUID(),
        journal: createRunJournal(dir),
        events: { publish: (event) => published.push(event) },
        retryDelaysMs: [10],
        maxRetryDelayMs: 300,
        report: () => {},
      });
      const state = finalState();
      expect(await log.start(state.run)).toMatchObject({ id: state.run.id, status: 'running' });

      await cluster.stop();
      const completion = await log.complete(state);
      expect(completion).toMatchObject({
        saved: false,
        row: { id: state.run.id, status: 'success' },
      });
      expect(readdirSync(dir)).toEqual([`${state.run.id}.json`]);
      expect(published).toEqual([{ id: state.run.id, templateId }]); // its start, not its end

      await cluster.start();
      await vi.waitFor(() => expect(log.pendingWrites).toBe(0), { timeout: 20_000, interval: 100 });
      expect(await rowOf(state.run.id)).toEqual({
        status: 'success',
        error_message: null,
        output_tokens: 34,
      });
      expect(published).toEqual([1, 2].map(() => ({ id: state.run.id, templateId })));
      expect(readdirSync(dir)).toEqual([]);
      log.close();
    });

    it("lands a dead process's journal at the next start, over the sweep that called it interrupted", async () => {
      const dir = journalDir();
      const quiet = { retryDelaysMs: [10], report: () => {} };
      const crashed = createExecutionLog(db, { journal: createRunJournal(dir), ...quiet });
      const state = finalState();
      await crashed.start(state.run);
      await cluster.stop();
      await crashed.complete(state);
      crashed.close(); // the process dies with the state only in its journal
      await cluster.start();
      // Meanwhile another instance swept the run, its instance being gone.
      await db.query(
        `UPDATE ${LOG} SET status = 'failed', error_message = 'interrupted', completed_at = now() WHERE id = $1`,
        [state.run.id],
      );

      const published: ExecutionLoggedEvent[] = [];
      const restarted = createExecutionLog(db, {
        journal: createRunJournal(dir),
        events: { publish: (event) => published.push(event) },
        ...quiet,
      });
      expect(await restarted.replayJournal()).toBe(1);
      expect(await rowOf(state.run.id)).toMatchObject({ status: 'success', error_message: null });
      expect(published).toEqual([{ id: state.run.id, templateId }]);
      expect(readdirSync(dir)).toEqual([]);

      // A replay of a state already written changes nothing: the first final state stands.
      const failedLater = {
        ...state,
        end: { ...state.end, status: 'failed' as const, errorMessage: 'x' },
      };
      const { row } = await restarted.complete(failedLater);
      expect(row.status).toBe('success');
      expect(await rowOf(state.run.id)).toMatchObject({ status: 'success' });
      restarted.close();
    });

    describe('the sweeper', () => {
      const instance = async (leaseSeconds: number) => {
        const id = randomUUID();
        await db.query(
          `INSERT INTO x402_server_instances (id, hostname, pid, lease_until) VALUES ($1, 'test', 1, now() + $2 * interval '1 second')`,
          [id, leaseSeconds],
        );
        return id;
      };
      const running = async (instanceId: string | null, ageSeconds = 0) =>
        (
          (await db.query<{ id: string }>(
            `INSERT INTO ${LOG} (template_id, caller_id, status, instance_id, created_at) VALUES ($1, $2, 'running', $3, now() - $4 * interval '1 second') RETURNING id`,
            [templateId, DEMO_OWNER.id, instanceId, ageSeconds],
          )) as [{ id: string }]
        )[0].id;
      const reservation = async (runId: string, state: string, ageSeconds = 0) => {
        const hex = (bytes: number) => `0x${randomBytes(bytes).toString('hex')}`;
        const [row] = await db.query<{ id: string }>(
          `INSERT INTO x402_payment_reservations (network, asset, payer, nonce, pay_to, amount, state, usage_log_id, updated_at)
         VALUES ('eip155:84532', $1, $2, $3, $4, 10000, $5, $6, now() - $7 * interval '1 second') RETURNING id`,
          [hex(20), hex(20), hex(32), hex(20), state, runId, ageSeconds],
        );
        return row?.id as string;
      };
      const stateOf = async (table: string, id: string, column: string) =>
        (await db.query(`SELECT ${column} AS value FROM ${table} WHERE id = $1`, [id]))[0]?.value;

      it('fails the runs of instances whose lease ran out — never a live one, however old', async () => {
        const [gone, alive] = [await instance(-5), await instance(3600)];
        const dead = await running(gone);
        const longLive = await running(alive, 7200);
        const legacyOld = await running(null, 7200);
        const legacyFresh = await running(null, 10);
        const released = await reservation(dead, 'reserved');
        const neverStarted = await reservation(randomUUID(), 'reserved', 600);
        const justReserved = await reservation(randomUUID(), 'reserved');
        const settling = await reservation(dead, 'settling');
        const published: ExecutionLoggedEvent[] = [];
        const recovery = createRunRecovery(db, {
          instanceId: randomUUID(),
          leaseMs: 1000,
          legacyAgeMs: 3600_000,
          events: { publish: (event) => published.push(event) },
          report: () => {},
        });

        expect(await recovery.sweep()).toEqual({ interrupted: 2, released: 2 });
        expect(await stateOf(LOG, dead, 'error_message')).toBe('interrupted');
        expect(await stateOf(LOG, legacyOld, 'status')).toBe('failed');
        expect(await stateOf(LOG, longLive, 'status')).toBe('running');
        expect(await stateOf(LOG, legacyFresh, 'status')).toBe('running');
        const reservations = 'x402_payment_reservations';
        expect(await stateOf(reservations, released, 'state')).toBe('released');
        expect(await stateOf(reservations, neverStarted, 'state')).toBe('released');
        expect(await stateOf(reservations, justReserved, 'state')).toBe('reserved');
        // Sent for settlement: the payer may have been charged, so never released blindly.
        expect(await stateOf(reservations, settling, 'state')).toBe('settling');
        expect(published.map((event) => event.id).sort()).toEqual([dead, legacyOld].sort());
      });

      it('renews its lease and sweeps on its own once started; a stopped instance is gone at once', async () => {
        const previous = createRunRecovery(db, {
          instanceId: randomUUID(),
          leaseMs: 60_000,
          legacyAgeMs: 3600_000,
          events: { publish: () => {} },
          report: () => {},
        });
        await previous.start();
        const [{ id: previousId }] = (await db.query<{ id: string }>(
          `SELECT id FROM x402_server_instances ORDER BY started_at DESC LIMIT 1`,
        )) as [{ id: string }];
        const orphan = await running(previousId);
        await previous.stop();

        const current = createRunRecovery(db, {
          instanceId: randomUUID(),
          leaseMs: 1000,
          legacyAgeMs: 3600_000,
          events: { publish: () => {} },
          report: () => {},
        });
        await current.start();
        await vi.waitFor(async () => expect(await stateOf(LOG, orphan, 'status')).toBe('failed'), {
          timeout: 15_000,
          interval: 200,
        });
        await current.stop();
      });
    });
  },
);
