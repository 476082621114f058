import { setTimeout as sleep } from 'node:timers/promises';
import { backendClient } from '../db/scoped.ts';
import type { PrismaClient, UsageLog } from '../generated/prisma/client.ts';

export type RunStatus = 'running' | 'success' | 'failed';

/** What is known when a run starts. */
export interface RunStart {
  id: string;
  templateId: string;
  callerId: string | null;
  payerAddress: string | null;
  network: string | null;
}

/** What is known when it ends. */
export interface RunEnd {
  status: Exclude<RunStatus, 'running'>;
  errorMessage: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  /** Decimal string in USDC, "0" when nothing was charged. */
  amountPaid: string;
  /** The payer's EIP-3009 signature, recorded once the payment is settled. */
  paymentSignature: string | null;
  /** The settlement transaction ("simulated:…" with the offline facilitator). */
  paymentTransaction: string | null;
  payerAddress: string | null;
  network: string | null;
  executionTimeMs: number;
}

export interface UsageLogStore {
  /** Writes the `running` row. Never throws: false when it could not be written (yet). */
  start(run: RunStart): Promise<boolean>;
  /**
   * Completes the row — or writes it whole if `start` failed — so each run ends as exactly one
   * final row. Never throws: null when every attempt failed (reported loudly).
   */
  complete(run: RunStart, end: RunEnd): Promise<UsageLog | null>;
  /** Marks runs left `running` by a crash as failed ("interrupted"); returns their rows. */
  failInterrupted(olderThanMs: number): Promise<Pick<UsageLog, 'id' | 'templateId'>[]>;
}

export function createUsageLogStore(
  prisma: PrismaClient,
  options: { retryDelaysMs?: number[]; report?: (message: string, detail: unknown) => void } = {},
): UsageLogStore {
  const db = backendClient(prisma);
  const retryDelaysMs = options.retryDelaysMs ?? [50, 250, 1000];
  const report =
    options.report ?? ((message, detail) => console.error(`[usage-log] ${message}`, detail));

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
      const row = await withRetries(
        'writing the running row',
        () => db.usageLog.create({ data: { ...run, status: 'running' }, select: { id: true } }),
        run,
      );
      return row !== null;
    },

    complete(run, end) {
      const final = { ...end, completedAt: new Date() };
      return withRetries(
        `completing run ${run.id}`,
        () =>
          db.usageLog.upsert({
            where: { id: run.id },
            create: { ...run, ...final },
            update: final,
          }),
        { run, end },
      );
    },

    async failInterrupted(olderThanMs) {
      const cutoff = new Date(Date.now() - olderThanMs);
      const stale = await db.usageLog.findMany({
        where: { status: 'running', createdAt: { lt: cutoff } },
        select: { id: true, templateId: true },
      });
      if (stale.length === 0) return [];
      await db.usageLog.updateMany({
        where: { id: { in: stale.map((row) => row.id) }, status: 'running' },
        data: { status: 'failed', errorMessage: 'interrupted', completedAt: new Date() },
      });
      return stale;
    },
  };
}
