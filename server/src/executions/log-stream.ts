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
const DONE = { done: true, value: undefined } as const;
const NO_ROWS: readonly Execution[] = [];

/**
 * The rows of a template's live history after a position, in position order, each once in each
 * state it reaches. Live, it takes the template feed's batches (no read of its own). It reads on
 * its own, as its viewer, only to catch up: when resuming from `after`, and whenever a batch does
 * not start where it stands (it joined mid-batch, or fell more than MAX_QUEUED_BATCHES behind).
 * So a missed or late batch delays a row, never loses it; a failed read is retried.
 */
export function logStream(options: LogStreamOptions): AsyncIterableIterator<Execution> {
  return new LogStream(options);
}

/**
 * An iterator object rather than a Repeater or an async generator: thousands of these live as
 * long as their sockets, and a suspended generator keeps every local of its frame (the last
 * catch-up page's rows, their results and JSON) while it waits for the next batch. Here the
 * state between events is these fields only.
 */
class LogStream implements AsyncIterableIterator<Execution> {
  private readonly options: LogStreamOptions;
  private position: LogPosition | null = null;
  private catchingUp: boolean;
  /** Rows of the page or batch being delivered, then where that page or batch ends. */
  private ready = NO_ROWS;
  private readyAt = 0;
  private readyEnd: LogPosition | null = null;
  private batches: FeedBatch[] = [];
  private overflowed = false;
  private stopped = false;
  private membership: FeedMembership | null = null;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(options: LogStreamOptions) {
    this.options = options;
    this.catchingUp = options.after !== null;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<IteratorResult<Execution>> {
    if (!this.membership && !this.stopped) await this.join();
    while (!this.stopped) {
      const row = this.ready[this.readyAt];
      if (row) {
        this.readyAt++;
        const rowPosition = positionOf(row);
        if (!isAfter(rowPosition, this.position as LogPosition)) continue;
        this.position = rowPosition;
        return { done: false, value: row };
      }
      this.ready = NO_ROWS;
      this.readyAt = 0;
      if (this.readyEnd) {
        // Everything of that page or batch this reader may see has been delivered.
        if (isAfter(this.readyEnd, this.position as LogPosition)) this.position = this.readyEnd;
        this.readyEnd = null;
      }
      if (this.overflowed) {
        this.overflowed = false;
        this.catchingUp = true;
      }
      if (this.catchingUp) await this.readPage();
      else if (!this.takeBatch()) await this.pause();
    }
    return DONE;
  }

  async return(): Promise<IteratorResult<Execution>> {
    if (!this.stopped) {
      this.stopped = true;
      this.membership?.leave();
      this.resume();
    }
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<Execution>> {
    await this.return();
    throw error;
  }

  private async join() {
    const membership = await this.options.join((batch) => {
      if (this.batches.length >= MAX_QUEUED_BATCHES) {
        this.batches.length = 0;
        this.overflowed = true;
      }
      this.batches.push(batch);
      this.resume();
    });
    this.membership = membership;
    this.position = this.options.after ?? membership.position;
    // Ended while it joined: its return() had nothing to leave yet.
    if (this.stopped) membership.leave();
  }

  /** One catch-up page into `ready` (its own frame: the page is not kept once delivered). */
  private async readPage() {
    let page: ChangesPage;
    try {
      page = await this.options.read(this.position as LogPosition);
    } catch (error) {
      const report =
        this.options.report ?? ((message) => console.error(`[executionLogged] ${message}`));
      report(`reading changes failed, retrying: ${(error as Error).message}`);
      await this.pause(FAILED_READ_RETRY_MS);
      return;
    }
    this.ready = page.rows;
    if (page.rows.length < this.options.pageSize) {
      // Caught up to the watermark: whatever this reader may see before it has been delivered
      // once these rows are; a change past it (a transaction still open then) comes in a batch.
      this.readyEnd = beforeWatermark(page.watermark);
      this.catchingUp = false;
    }
  }

  /** The next batch into `ready`; false when none is waiting. */
  private takeBatch(): boolean {
    const batch = this.batches.shift();
    if (!batch) return false;
    // A gap between where this stream stands and the batch: read it from the database.
    if (isAfter(batch.from, this.position as LogPosition)) {
      this.catchingUp = true;
      return true;
    }
    this.ready = batch.rows;
    this.readyEnd = batch.to;
    return true;
  }

  private pause(ms?: number) {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      if (ms !== undefined) this.timer = setTimeout(resolve, ms);
    }).then(() => {
      this.wake = null;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    });
  }

  private resume() {
    this.wake?.();
  }
}
