import { Repeater } from 'graphql-yoga';
import type { Execution } from '../generated/prisma/client.ts';
import type { ChangesPage } from './execution-rows.ts';
import type { FeedBatch, FeedMembership } from './log-feed.ts';
import { beforeWatermark, isAfter, type LogPosition, positionOf } from './log-position.ts';

export interface LogStreamOptions {
  /** Joins the template's feed on this instance (log-feed.ts): batches of this viewer's rows. */
  join(onBatch: (batch: FeedBatch) => void): Promise<FeedMembership>;
  /** The viewer's own read (RLS), to catch up to the feed. */
  read(position: LogPosition): Promise<ChangesPage>;
  /** Resume after this position; null: from now on. */
  after: LogPosition | null;
  pageSize: number;
  report?: (message: string) => void;
}

/** Batches waiting for a subscriber that is slow to take them; past it, it re-reads instead. */
export const MAX_QUEUED_BATCHES = 64;
const FAILED_READ_RETRY_MS = 1000;

/**
 * The rows of a template's live history after a position, in position order, each once in each
 * state it reaches. Live, it takes the template feed's batches (no read of its own). It reads on
 * its own, as its viewer, only to catch up: when resuming from `after`, and whenever a batch does
 * not start where it stands (it joined mid-batch, or fell more than MAX_QUEUED_BATCHES behind).
 * So a missed or late batch delays a row, never loses it; a failed read is retried.
 */
export function logStream(options: LogStreamOptions): AsyncIterableIterator<Execution> {
  const report = options.report ?? ((message) => console.error(`[executionLogged] ${message}`));
  return new Repeater<Execution>(async (push, stop) => {
    const batches: FeedBatch[] = [];
    let overflowed = false;
    let wake: (() => void) | null = null;
    let stopped = false;
    const membership = await options.join((batch) => {
      if (batches.length >= MAX_QUEUED_BATCHES) {
        batches.length = 0;
        overflowed = true;
      }
      batches.push(batch);
      wake?.();
    });
    const pause = (ms?: number) =>
      new Promise<void>((resolve) => {
        const timer = ms === undefined ? null : setTimeout(resolve, ms);
        wake = () => {
          if (timer) clearTimeout(timer);
          resolve();
        };
      }).then(() => {
        wake = null;
      });
    stop.then(() => {
      stopped = true;
      membership.leave();
      wake?.();
    });

    let position = options.after ?? membership.position;
    let catchingUp = options.after !== null;
    while (!stopped) {
      if (overflowed) {
        overflowed = false;
        catchingUp = true;
      }
      if (catchingUp) {
        let page: ChangesPage;
        try {
          page = await options.read(position);
        } catch (error) {
          report(`reading changes failed, retrying: ${(error as Error).message}`);
          await pause(FAILED_READ_RETRY_MS);
          continue;
        }
        for (const row of page.rows) {
          await push(row);
          position = positionOf(row);
        }
        if (page.rows.length === options.pageSize) continue; // more to read
        // Caught up to the watermark: whatever this reader may see before it has been delivered;
        // a change past it (a transaction still open then) comes in a feed batch.
        const caughtUp = beforeWatermark(page.watermark);
        if (isAfter(caughtUp, position)) position = caughtUp;
        catchingUp = false;
        continue;
      }
      const batch = batches.shift();
      if (!batch) {
        await pause();
        continue;
      }
      // A gap between where this stream stands and the batch: read it from the database.
      if (isAfter(batch.from, position)) {
        catchingUp = true;
        continue;
      }
      for (const row of batch.rows) {
        const rowPosition = positionOf(row);
        if (!isAfter(rowPosition, position)) continue;
        await push(row);
        position = rowPosition;
      }
      if (isAfter(batch.to, position)) position = batch.to;
    }
  });
}
