import type { Database } from '../db/database.ts';
import { BACKEND_ROLE, REQUEST_ROLE } from '../db/roles.ts';
import type { Execution } from '../generated/prisma/client.ts';
import type { ExecutionEvents } from './execution-events.ts';
import { changesPageOf } from './execution-rows.ts';
import { changesAfterSql, visibleToViewersSql, watermarkSql } from './execution-sql.ts';
import { beforeWatermark, isAfter, type LogPosition, positionOf } from './log-position.ts';

/**
 * What a template's feed delivers to one subscriber: every change in (from, to] that this
 * subscriber's viewer may read, in position order (possibly none: the feed moved on).
 */
export interface FeedBatch {
  readonly from: LogPosition;
  readonly to: LogPosition;
  /** Shared by every member of the viewer: read only. */
  readonly rows: readonly Execution[];
}

export interface FeedMembership {
  /** Where the feed stood when joined: every later change comes in batches. */
  position: LogPosition;
  leave(): void;
}

/** Joins `viewerId` to the feed of `templateId` on this instance. */
export type JoinFeed = (
  templateId: string,
  viewerId: string,
  onBatch: (batch: FeedBatch) => void,
) => Promise<FeedMembership>;

/** Round trips the feeds made, for tests and the benchmark (reads per event). */
export interface FeedCounters {
  /** Reads of a template's changes (as the backend: every row). */
  changeReads: number;
  /** Messages asking which subscribed viewers may read a batch's rows (RLS, one per batch). */
  visibilityChecks: number;
  /** Rows read by change reads. */
  rowsRead: number;
}

export interface LiveLog {
  join: JoinFeed;
  readonly counters: FeedCounters;
  /** Feeds running now (templates with a subscriber on this instance). */
  readonly feeds: number;
}

const HELD_RETRY_MS = [20, 50, 100, 250, 500, 1000];
const FAILED_READ_RETRY_MS = 1000;
const RELISTEN_MS = 1000;

/**
 * One feed per template with subscribers on this instance. A feed reads the template's changes
 * once, as the backend, however many viewers follow it; then asks the database, in one message
 * for all of them, which rows each subscribed viewer may read (RLS, as that viewer). So an event
 * costs two round trips per instance, not one per viewer.
 */
export function createLiveLog(
  db: Pick<Database, 'runAs'>,
  events: Pick<ExecutionEvents, 'subscribe'>,
  options: { pageSize?: number; report?: (message: string) => void } = {},
): LiveLog {
  const pageSize = options.pageSize ?? 100;
  const report = options.report ?? ((message) => console.error(`[live log] ${message}`));
  const counters: FeedCounters = { changeReads: 0, visibilityChecks: 0, rowsRead: 0 };
  const feeds = new Map<string, TemplateFeed>();

  const join: JoinFeed = async (templateId, viewerId, onBatch) => {
    let feed = feeds.get(templateId);
    if (!feed) {
      const created = new TemplateFeed(templateId, {
        pageSize,
        report,
        counters,
        runAs: db.runAs.bind(db),
        hints: (onMissed) => events.subscribe(templateId, { onMissed }),
        onIdle: () => {
          if (feeds.get(templateId) === created) feeds.delete(templateId);
        },
      });
      feeds.set(templateId, created);
      feed = created;
    }
    return feed.join(viewerId, onBatch);
  };
  return {
    join,
    counters,
    get feeds() {
      return feeds.size;
    },
  };
}

interface FeedDeps {
  pageSize: number;
  report: (message: string) => void;
  counters: FeedCounters;
  runAs: Database['runAs'];
  hints(onMissed: () => void): AsyncIterableIterator<unknown>;
  onIdle(): void;
}

interface Member {
  viewerId: string;
  onBatch: (batch: FeedBatch) => void;
}

class TemplateFeed {
  private readonly members = new Set<Member>();
  private position: LogPosition | null = null;
  private started: Promise<void> | null = null;
  private stopped = false;
  private dirty = true;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private heldRetries = 0;
  private hints: AsyncIterableIterator<unknown> | null = null;
  private relistenTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly templateId: string,
    private readonly deps: FeedDeps,
  ) {}

  async join(viewerId: string, onBatch: (batch: FeedBatch) => void): Promise<FeedMembership> {
    const member: Member = { viewerId, onBatch };
    this.members.add(member);
    try {
      this.started ??= this.start();
      await this.started;
    } catch (error) {
      this.leave(member);
      throw error;
    }
    // Bound, not an arrow: under esbuild's keepNames a `leave` arrow is named, a property
    // dictionary for each of thousands of members.
    return { position: this.position as LogPosition, leave: this.leave.bind(this, member) };
  }

  private leave(member: Member) {
    if (!this.members.delete(member) || this.members.size > 0) return;
    // The last one out stops the feed; a later subscriber starts a new one.
    this.stopped = true;
    this.deps.onIdle();
    if (this.timer) clearTimeout(this.timer);
    if (this.relistenTimer) clearTimeout(this.relistenTimer);
    this.wake?.();
    void this.hints?.return?.();
  }

  private async start() {
    try {
      // Listen before taking the watermark: a change committed in between is read, not missed.
      this.listen();
      const [rows = []] = await this.deps.runAs(BACKEND_ROLE, null, [watermarkSql()]);
      this.position = beforeWatermark(BigInt(String(rows[0]?.watermark)));
    } catch (error) {
      // Not a feed: the next subscriber starts another.
      this.stopped = true;
      this.deps.onIdle();
      void this.hints?.return?.();
      throw error;
    }
    void this.run();
  }

  /**
   * Hints from pub/sub. If they fail (a broken connection), the feed reads from the database
   * and listens again a moment later: its subscribers go on, at worst a little late.
   */
  private listen() {
    const hints = this.deps.hints(() => this.markDirty());
    this.hints = hints;
    const relisten = (reason: string) => {
      if (this.stopped) return;
      this.deps.report(`hints ${reason}; reading from the database and listening again`);
      this.markDirty();
      this.relistenTimer = setTimeout(() => {
        this.relistenTimer = null;
        if (this.stopped) return;
        this.listen();
        this.markDirty();
      }, RELISTEN_MS);
    };
    (async () => {
      for await (const _hint of hints) this.markDirty();
    })().then(
      () => relisten('ended'),
      (error) => relisten(`failed (${(error as Error).message})`),
    );
  }

  private markDirty() {
    this.dirty = true;
    this.wake?.();
  }

  private later(ms: number) {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.markDirty();
    }, ms);
  }

  private async run() {
    while (!this.stopped) {
      if (!this.dirty) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        continue;
      }
      this.dirty = false;
      try {
        await this.step();
      } catch (error) {
        this.deps.report(`reading changes failed, retrying: ${(error as Error).message}`);
        this.later(FAILED_READ_RETRY_MS);
      }
    }
  }

  /** One read of changes after the feed's position, and its delivery to every member. */
  private async step() {
    const from = this.position as LogPosition;
    const { pageSize, counters, runAs } = this.deps;
    const [rows = []] = await runAs(BACKEND_ROLE, null, [
      changesAfterSql(this.templateId, from, pageSize),
    ]);
    counters.changeReads++;
    const page = changesPageOf(rows);
    const changes = page.rows;
    counters.rowsRead += changes.length;
    let to = changes.length > 0 ? positionOf(changes.at(-1) as Execution) : from;
    if (changes.length === pageSize) {
      this.dirty = true; // more to read
    } else {
      const caughtUp = beforeWatermark(page.watermark);
      if (isAfter(caughtUp, to)) to = caughtUp;
      if (page.held)
        this.later(HELD_RETRY_MS[Math.min(this.heldRetries++, HELD_RETRY_MS.length - 1)] ?? 1000);
      else this.heldRetries = 0;
    }
    if (!isAfter(to, from)) return;
    const members = [...this.members];
    const visible = changes.length > 0 ? await this.visibility(members, changes) : null;
    this.position = to;
    // One batch per viewer, shared by its members (thousands of sockets may follow one viewer);
    // receivers only read it.
    const batches = new Map<string, FeedBatch>();
    for (const member of members) {
      if (!this.members.has(member)) continue;
      let batch = batches.get(member.viewerId);
      if (!batch) {
        const indexes = visible?.get(member.viewerId);
        const mine = indexes ? changes.filter((_row, index) => indexes.has(index)) : [];
        batch = { from, to, rows: mine };
        batches.set(member.viewerId, batch);
      }
      member.onBatch(batch);
    }
  }

  /** Which of `changes` each member's viewer may read: one statement, RLS as each viewer. */
  private async visibility(members: Member[], changes: Execution[]) {
    const viewers = [...new Set(members.map((member) => member.viewerId))];
    const [rows = []] = await this.deps.runAs(REQUEST_ROLE, null, [
      visibleToViewersSql(
        changes.map((row) => row.id),
        viewers,
      ),
    ]);
    this.deps.counters.visibilityChecks++;
    const visible = new Map<string, Set<number>>();
    for (const row of rows) {
      const list = String(row.visible ?? '');
      visible.set(
        String(row.viewer),
        new Set(list === '' ? [] : list.split(',').map((ordinal) => Number(ordinal) - 1)),
      );
    }
    return visible;
  }
}
