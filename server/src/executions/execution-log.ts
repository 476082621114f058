import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '../db/database.ts';
import { BACKEND_ROLE } from '../db/roles.ts';
import type { SqlText } from '../db/sql.ts';
import type { Execution } from '../generated/prisma/client.ts';
import type { ExecutionEnd, ExecutionStart } from './execution.ts';
import { toExecution } from './execution-rows.ts';
import { completeRunSql, failInterruptedSql, startRunSql } from './execution-sql.ts';

export interface ExecutionLog {
  /** Writes the `running` row. Never throws: false when it could not be written (yet). */
  start(run: ExecutionStart): Promise<boolean>;
  /**
   * Completes the row — or writes it whole if `start` failed — so each run ends as exactly one
   * final row. Never throws: null when every attempt failed (reported loudly).
   */
  complete(run: ExecutionStart, end: ExecutionEnd): Promise<Execution | null>;
  /** Marks runs left `running` by a crash as failed ("interrupted"); returns their rows. */
  failInterrupted(olderThanMs: number): Promise<Pick<Execution, 'id' | 'templateId'>[]>;
}

/**
 * The store on the driver, as the backend role: each write is one statement in one round trip
 * (Database.runAs), with no Prisma query compilation on the run path.
 */
export function createExecutionLog(
  db: Pick<Database, 'runAs'>,
  options: { retryDelaysMs?: number[]; report?: (message: string, detail: unknown) => void } = {},
): ExecutionLog {
  const retryDelaysMs = options.retryDelaysMs ?? [50, 250, 1000];
  const report =
    options.report ?? ((message, detail) => console.error(`[execution-log] ${message}`, detail));
  const asBackend = async (statement: SqlText) => {
    const [rows = []] = await db.runAs(BACKEND_ROLE, null, [statement]);
    return rows;
  };

  async function withRetries<T>(what: string, write: () => Promise<T>, detail: unknown) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        const delay = retryDelaysMs[attempt];
        if (delay === undefined) {
          report(
            `${what} FAILED after ${attempt + 1} attempts: ${(error as Error).message}`,
            detail,
          );
          return null;
        }
        await sleep(delay);
      }
    }
  }

  return {
    async start(run) {
      // The SQL is built inside the attempt: a value its literals refuse is reported, not thrown.
      const rows = await withRetries(
        'writing the running row',
        () => asBackend(startRunSql(run)),
        run,
      );
      return rows !== null;
    },

    complete(run, end) {
      const completedAt = new Date();
      return withRetries(
        `completing run ${run.id}`,
        async () => {
          const [row] = await asBackend(completeRunSql(run, end, completedAt));
          if (!row) throw new Error('the upsert returned no row');
          return toExecution(row);
        },
        { run, end },
      );
    },

    async failInterrupted(olderThanMs) {
      const now = new Date();
      const cutoff = new Date(now.getTime() - olderThanMs);
      // One statement: a run that completes meanwhile is neither overwritten nor returned.
      const rows = await asBackend(failInterruptedSql(cutoff, now));
      return rows.map((row) => ({ id: row.id as string, templateId: row.template_id as string }));
    },
  };
}
