import { Repeater } from 'graphql-yoga';
import type { Execution } from '../generated/prisma/client.ts';
import { beforeWatermark, isAfter, type LogPosition } from './log-position.ts';

/** One read of a template's changes after a position (execution-sql.ts changesAfterSql). */
export interface ChangesPage {
  rows: Execution[];
  /** Every change by a transaction older than this is visible to the read. */
  watermark: bigint;
  /** A change past the watermark is already committed: read again soon, even without a hint. */
  held: boolean;
}

export interface LogStreamOptions {
  /**
   * Pub/sub for the template: only a hint that something changed; the database is the truth.
   * `onMissed`: hints were lost (a reconnect, a full queue): read anyway.
   */
  hints(onMissed: () => void): AsyncIterableIterator<unknown>;
  read(position: LogPosition): Promise<ChangesPage>;
  /** The current watermark, for a stream that starts live (no `after`). */
  watermark(): Promise<bigint>;
  /** Resume after this position; null: from now on. */
  after: LogPosition | null;
  pageSize: number;
  report?: (message: string) => void;
}

const HELD_RETRY_MS = [20, 50, 100, 250, 500, 1000];
const FAILED_READ_RETRY_MS = 1000;

/**
 * The rows of a template's live history after a position, in position order, each once in each
 * state it reaches. Hints are coalesced (a burst costs one read per page, never a queue); a
 * read catches up from the last delivered position, so a missed hint delays a row, never loses
 * it; a failed read is retried from the same position.
 */
export function logStream(options: LogStreamOptions): AsyncIterableIterator<Execution> {
  const report = options.report ?? ((message) => console.error(`[executionLogged] ${message}`));
  return new Repeater<Execution>(async (push, stop) => {
    let dirty = true;
    let wake: (() => void) | null = null;
    let timer: NodeJS.Timeout | null = null;
    let heldRetries = 0;
    const markDirty = () => {
      dirty = true;
      wake?.();
    };
    const later = (ms: number) => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        markDirty();
      }, ms);
    };
    const hints = options.hints(markDirty);
    (async () => {
      for await (const _hint of hints) markDirty();
    })().catch((error) => stop(error));
    let stopped = false;
    stop.then(() => {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      void hints.return?.();
    });

    let position = options.after ?? beforeWatermark(await options.watermark());
    while (!stopped) {
      if (!dirty) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
        continue;
      }
      dirty = false;
      let page: ChangesPage;
      try {
        page = await options.read(position);
      } catch (error) {
        report(`reading changes failed, retrying: ${(error as Error).message}`);
        later(FAILED_READ_RETRY_MS);
        continue;
      }
      for (const row of page.rows) {
        await push(row);
        position = { xid: row.logXid, id: row.id };
      }
      if (page.rows.length === options.pageSize) {
        dirty = true; // more to read
        continue;
      }
      // Caught up to the watermark: whatever this reader may see before it has been delivered.
      const caughtUp = beforeWatermark(page.watermark);
      if (isAfter(caughtUp, position)) position = caughtUp;
      if (page.held)
        later(HELD_RETRY_MS[Math.min(heldRetries++, HELD_RETRY_MS.length - 1)] ?? 1000);
      else heldRetries = 0;
    }
  });
}
