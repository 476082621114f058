import type { Database } from '../db/database.ts';
import { BACKEND_ROLE, REQUEST_ROLE } from '../db/roles.ts';
import { sql } from '../db/sql.ts';

/**
 * Stopping runs across instances. A caller's request is a row in x402_execution_cancellations
 * (migration 008), written as the caller (RLS: only a run's caller, only while it runs); the
 * instance running the run finds it by polling, in one indexed read for all the runs it has in
 * flight, and aborts the model request. A run on the instance that took the request is aborted
 * at once.
 *
 * Why the database and not pub/sub: the request is durable (it holds through a Redis outage and
 * the requesting instance dying, where our pub/sub is only a hint by design), RLS decides who may
 * stop a run, and the cost is bounded: one read per instance per POLL_MS, only while it runs.
 */
export interface RunCancellations {
  /** The signal that aborts run `runId` once its stop is requested; call dispose when it ends. */
  watch(runId: string): { signal: AbortSignal; dispose(): void };
  /**
   * Records that `viewerId` asks to stop `runId`. False when RLS refused it (not their run, or no
   * longer running). Aborts it at once if it runs here.
   */
  request(runId: string, viewerId: string): Promise<boolean>;
  close(): void;
}

/** How often an instance with runs in flight looks for their cancellations. */
export const CANCELLATION_POLL_MS = 250;

const CANCELLATIONS = sql`x402_execution_cancellations`;

export function createRunCancellations(
  db: Pick<Database, 'runAs'>,
  options: { pollMs?: number; report?: (message: string) => void } = {},
): RunCancellations {
  const pollMs = options.pollMs ?? CANCELLATION_POLL_MS;
  const report = options.report ?? ((message) => console.error(`[cancellations] ${message}`));
  const watched = new Map<string, AbortController>();
  let timer: NodeJS.Timeout | null = null;
  let polling = false;
  let lastFailure = '';

  const cancel = (runId: string) => watched.get(runId)?.abort(new Error('cancelled'));

  async function poll() {
    if (polling || watched.size === 0) return;
    polling = true;
    try {
      const ids = sql.join([...watched.keys()].map(sql.uuid), sql`, `);
      const [rows = []] = await db.runAs(BACKEND_ROLE, null, [
        sql`SELECT execution_id::text AS id FROM ${CANCELLATIONS} WHERE execution_id IN (${ids})`,
      ]);
      for (const row of rows) cancel(String(row.id));
      lastFailure = '';
    } catch (error) {
      // The database is away: runs go on; the next poll tries again. Reported once per outage.
      const message = (error as Error).message;
      if (message !== lastFailure) report(`polling for cancellations failed: ${message}`);
      lastFailure = message;
    } finally {
      polling = false;
    }
  }

  function schedule() {
    if (timer || watched.size === 0) return;
    timer = setInterval(() => void poll(), pollMs);
    timer.unref();
  }

  return {
    watch(runId) {
      const controller = new AbortController();
      watched.set(runId, controller);
      schedule();
      return {
        signal: controller.signal,
        dispose: () => {
          if (watched.get(runId) === controller) watched.delete(runId);
          if (watched.size === 0 && timer) {
            clearInterval(timer);
            timer = null;
          }
        },
      };
    },

    async request(runId, viewerId) {
      const id = sql.uuid(runId);
      // The same rule as the policy, so a refused request is "nothing inserted", not an error.
      const [rows = []] = await db.runAs(REQUEST_ROLE, viewerId, [
        sql`INSERT INTO ${CANCELLATIONS} (execution_id, requested_by) SELECT id, caller_id FROM x402_prompt_template_usage_logs WHERE id = ${id} AND caller_id = ${sql.uuid(viewerId)} AND status = 'running' ON CONFLICT (execution_id) DO NOTHING RETURNING execution_id`,
      ]);
      cancel(runId);
      return rows.length > 0;
    },

    close() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
