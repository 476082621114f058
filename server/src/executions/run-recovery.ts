import { hostname } from 'node:os';
import type { Database } from '../db/database.ts';
import { BACKEND_ROLE } from '../db/roles.ts';
import { sql } from '../db/sql.ts';
import type { ExecutionEvents } from './execution-events.ts';
import { INTERRUPTED } from './execution-sql.ts';

export interface RunRecoveryOptions {
  instanceId: string;
  /** How long a lease lasts; renewed every third of it. */
  leaseMs: number;
  /** Rows with no instance (written before instances existed) are swept past this age. */
  legacyAgeMs: number;
  events: Pick<ExecutionEvents, 'publish'>;
  report?: (message: string) => void;
}

export interface RunRecovery {
  /** Registers the instance, sweeps once, then renews the lease and sweeps on a timer. */
  start(): Promise<void>;
  /** Fails the runs of instances that are gone; releases reservations their runs left. */
  sweep(): Promise<{ interrupted: number; released: number }>;
  /** Ends the lease (graceful shutdown, after the instance's runs were written). */
  stop(): Promise<void>;
}

const LOG = sql`x402_prompt_template_usage_logs`;
const INSTANCES = sql`x402_server_instances`;

/**
 * Crash recovery that never touches a live run. Each instance holds a lease in the database; a
 * run is swept only when the instance that owns it let its lease run out. An instance sweeps
 * only after it has itself renewed its lease without a gap for a whole lease period: after a
 * database outage every instance missed renewals, and each first gives the others that long to
 * renew theirs.
 */
export function createRunRecovery(db: Pick<Database, 'runAs'>, options: RunRecoveryOptions) {
  const { instanceId, leaseMs } = options;
  const report = options.report ?? ((message) => console.warn(`[runs] ${message}`));
  const id = sql.uuid(instanceId);
  const lease = sql`now() + ${Math.round(leaseMs)} * interval '1 millisecond'`;
  let renewedSince: number | null = null;
  let timer: NodeJS.Timeout | null = null;
  let sweeping = false;

  const asBackend = (...statements: Parameters<Database['runAs']>[2]) =>
    db.runAs(BACKEND_ROLE, null, statements);

  async function renew() {
    try {
      await asBackend(
        sql`INSERT INTO ${INSTANCES} (id, hostname, pid, lease_until) VALUES (${id}, ${hostname()}, ${process.pid}, ${lease}) ON CONFLICT (id) DO UPDATE SET lease_until = EXCLUDED.lease_until`,
      );
      renewedSince ??= Date.now();
    } catch (error) {
      if (renewedSince !== null) report(`lease renewal failed: ${(error as Error).message}`);
      renewedSince = null;
    }
  }

  async function sweep() {
    const legacyCutoff = new Date(Date.now() - options.legacyAgeMs);
    // A reservation is written a moment before its run's row; with no row this long after, the
    // run never started (the database refused its row) or its instance died in between.
    const noRowCutoff = new Date(Date.now() - Math.max(60_000, 4 * leaseMs));
    const [swept = [], released = []] = await asBackend(
      sql`UPDATE ${LOG} SET status = 'failed', error_message = ${INTERRUPTED}, completed_at = now() WHERE status = 'running' AND (instance_id IN (SELECT i.id FROM ${INSTANCES} i WHERE i.lease_until < now() AND i.id <> ${id}) OR (instance_id IS NULL AND created_at < ${legacyCutoff})) RETURNING id, template_id`,
      // A reservation still `reserved` whose run is over (or never got a row) was never
      // sent for settlement: the payer was not charged, the authorization may pay again.
      sql`UPDATE x402_payment_reservations r SET state = 'released', updated_at = now() WHERE r.state = 'reserved' AND (EXISTS (SELECT FROM ${LOG} l WHERE l.id = r.usage_log_id AND l.status <> 'running') OR (r.updated_at < ${noRowCutoff} AND NOT EXISTS (SELECT FROM ${LOG} l WHERE l.id = r.usage_log_id))) RETURNING r.id`,
    );
    for (const row of swept) {
      options.events.publish({ id: row.id as string, templateId: row.template_id as string });
    }
    if (swept.length > 0) report(`marked ${swept.length} interrupted run(s) as failed`);
    if (released.length > 0) report(`released ${released.length} unused payment reservation(s)`);
    return { interrupted: swept.length, released: released.length };
  }

  async function tick() {
    await renew();
    if (sweeping || renewedSince === null || Date.now() - renewedSince < leaseMs) return;
    sweeping = true;
    await sweep()
      .catch((error: Error) => report(`sweep failed: ${error.message}`))
      .finally(() => {
        sweeping = false;
      });
  }

  return {
    async start() {
      await renew();
      timer = setInterval(() => void tick(), Math.max(250, Math.floor(leaseMs / 3)));
      timer.unref();
    },
    sweep,
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await asBackend(
        sql`UPDATE ${INSTANCES} SET lease_until = now(), stopped_at = now() WHERE id = ${id}`,
      ).catch((error: Error) => report(`could not end the lease: ${error.message}`));
    },
  } satisfies RunRecovery;
}
