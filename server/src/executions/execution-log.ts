import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '../db/database.ts';
import { BACKEND_ROLE } from '../db/roles.ts';
import type { SqlText } from '../db/sql.ts';
import { type Execution, Prisma } from '../generated/prisma/client.ts';
import { endReservationSql } from '../payments/reservations.ts';
import type { ExecutionStart } from './execution.ts';
import type { ExecutionEvents } from './execution-events.ts';
import { toExecution } from './execution-rows.ts';
import { completeRunSql, startRunSql } from './execution-sql.ts';
import type { FinalState, RunJournal } from './run-journal.ts';

export interface Completion {
  /** The final row as written — or, when the database could not take it yet, as it will be. */
  row: Execution;
  /** False: journaled and retried in the background until the database takes it. */
  saved: boolean;
}

export interface ExecutionLog {
  /** Writes the `running` row of this instance; null when the database refused every attempt. */
  start(run: ExecutionStart): Promise<Execution | null>;
  /**
   * Writes the run's final row with its reservation's end in one transaction, then publishes the
   * event. What the database cannot take now is journaled (durably, before this resolves) and
   * written later, for as long as the process lives and after a restart (replayJournal): the row
   * ends up saying what the caller was told. Never throws.
   */
  complete(state: FinalState): Promise<Completion>;
  /** Writes the final states a previous process journaled; returns how many there were. */
  replayJournal(): Promise<number>;
  /** Final states waiting for the database. */
  readonly pendingWrites: number;
  /** Waits until no final state is pending, or `timeoutMs` (graceful shutdown). */
  flush(timeoutMs: number): Promise<void>;
  /** Stops retrying in the background (pending states stay journaled). */
  close(): void;
}

export interface ExecutionLogOptions {
  /** This server instance (its lease tells the sweeper its runs are alive). */
  instanceId?: string | null;
  /** Where final states wait for the database; without one they wait in memory only. */
  journal?: RunJournal | null;
  /** Told of every final row once written (live history). */
  events?: Pick<ExecutionEvents, 'publish'>;
  /** Immediate retries before a final state is journaled (and before `start` gives up). */
  retryDelaysMs?: number[];
  /** Background retries back off up to this. */
  maxRetryDelayMs?: number;
  report?: (message: string, detail?: unknown) => void;
}

/**
 * The store on the driver, as the backend role: each write is one message in one round trip and
 * one transaction (Database.runAs), with no Prisma query compilation on the run path.
 */
export function createExecutionLog(
  db: Pick<Database, 'runAs'>,
  options: ExecutionLogOptions = {},
): ExecutionLog {
  const { instanceId = null, journal = null, events } = options;
  const retryDelaysMs = options.retryDelaysMs ?? [50, 250, 1000];
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 5000;
  const report =
    options.report ??
    ((message, detail) => console.error(`[execution-log] ${message}`, detail ?? ''));
  const pending = new Map<string, FinalState>();
  let retryTimer: NodeJS.Timeout | null = null;
  let retryDelayMs = retryDelaysMs.at(-1) ?? 1000;
  let closed = false;

  const lastRows = async (statements: SqlText[]) =>
    (await db.runAs(BACKEND_ROLE, null, statements)).at(-1) ?? [];

  async function write(state: FinalState): Promise<Execution> {
    const { run, end, completedAt, reservation } = state;
    const statements = [completeRunSql(run, end, completedAt)];
    if (reservation) statements.unshift(endReservationSql(reservation));
    const [row] = await lastRows(statements);
    if (!row) throw new Error('the final row was not returned');
    const execution = toExecution(row);
    events?.publish({ id: execution.id, templateId: execution.templateId });
    return execution;
  }

  async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (const delay of [...retryDelaysMs, null]) {
      try {
        return await attempt();
      } catch (error) {
        if (delay === null) throw error;
        await sleep(delay);
      }
    }
    throw new Error('unreachable');
  }

  async function keep(state: FinalState, error: unknown) {
    pending.set(state.run.id, state);
    try {
      await journal?.record(state);
      report(`run ${state.run.id} journaled until the database takes it: ${message(error)}`);
    } catch (journalError) {
      report(
        `FINAL STATE OF RUN ${state.run.id} IN MEMORY ONLY (journal failed: ${message(journalError)}); database: ${message(error)}`,
        state,
      );
    }
    scheduleRetry();
  }

  function scheduleRetry() {
    if (retryTimer || closed || pending.size === 0) return;
    retryTimer = setTimeout(retryPending, retryDelayMs);
    retryTimer.unref();
    retryDelayMs = Math.min(retryDelayMs * 2, maxRetryDelayMs);
  }

  async function retryPending() {
    retryTimer = null;
    for (const state of [...pending.values()]) {
      try {
        await write(state);
      } catch {
        break; // the database is still away: back off
      }
      pending.delete(state.run.id);
      await journal?.forget(state.run.id).catch((error) => report(message(error)));
      report(`run ${state.run.id}: final state written late (${state.end.status})`);
    }
    if (pending.size === 0) retryDelayMs = retryDelaysMs.at(-1) ?? 1000;
    scheduleRetry();
  }

  return {
    async start(run) {
      try {
        const [row] = await withRetries(() => lastRows([startRunSql(run, instanceId)]));
        if (!row) throw new Error('the running row was not returned');
        // Starts are live too: open panels show the run RUNNING, then its final state.
        events?.publish({ id: run.id, templateId: run.templateId });
        return toExecution(row);
      } catch (error) {
        report(`writing the running row of run ${run.id} failed: ${message(error)}`, run);
        return null;
      }
    },

    async complete(state) {
      try {
        return { row: await withRetries(() => write(state)), saved: true };
      } catch (error) {
        await keep(state, error);
        return { row: unsavedRow(state, instanceId), saved: false };
      }
    },

    async replayJournal() {
      const states = (await journal?.pending()) ?? [];
      for (const state of states) pending.set(state.run.id, state);
      if (states.length > 0) await retryPending();
      return states.length;
    },

    get pendingWrites() {
      return pending.size;
    },

    async flush(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (pending.size > 0 && Date.now() < deadline) await sleep(100);
    },

    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
    },
  };
}

/** What the row will hold once written, for the response while the database is away. */
function unsavedRow({ run, end, completedAt }: FinalState, instanceId: string | null): Execution {
  return {
    ...run,
    ...end,
    instanceId,
    // Not written yet: no position (it gets one when the database takes it).
    logXid: 0n,
    amountPaid: new Prisma.Decimal(end.amountPaid),
    createdAt: new Date(completedAt.getTime() - end.executionTimeMs),
    completedAt,
  };
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
