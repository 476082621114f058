import type { Execution } from '../generated/prisma/client.ts';
import type { SettleOutcome } from '../payments/payment-gate.ts';
import {
  performRun,
  prepareRun,
  type RunDeps,
  type RunRequest,
  type RunResult,
} from './run-template.ts';
import type { RunsInFlight } from './runs-in-flight.ts';

/** What a streamed run's caller receives, in this order: started, deltas, finished. */
export type RunEvent =
  | { kind: 'started'; execution: Execution }
  | { kind: 'delta'; text: string }
  | {
      kind: 'finished';
      execution: Execution;
      output: string | null;
      settlement: SettleOutcome | null;
    };

/**
 * Starts a run whose events are read as they happen. Input and payment are checked before this
 * resolves, so a refusal (PAYMENT_REQUIRED, …) is the request's error and writes nothing. From
 * then on the run goes on by itself: ending the returned iterator (the caller unsubscribed,
 * closed the request, went away) stops it — the model request is aborted and the row ends
 * FAILED "cancelled", not charged. The run is in `runsInFlight` from the start, so a graceful
 * stop waits for it.
 */
export function startStreamedRun(
  deps: RunDeps & { runsInFlight: RunsInFlight },
  request: () => Promise<RunRequest>,
): Promise<AsyncIterableIterator<RunEvent>> {
  return new Promise((resolve, reject) => {
    const run = async () => {
      const prepared = await prepareRun(deps, await request());
      const stop = new AbortController();
      const events = new RunEventQueue(() => stop.abort(new Error('cancelled')));
      resolve(events);
      let result: RunResult;
      try {
        result = await performRun(deps, prepared, {
          signal: stop.signal,
          onStarted: (execution) => events.push({ kind: 'started', execution }),
          onText: (text) => events.push({ kind: 'delta', text }),
        });
      } catch (error) {
        events.fail(error);
        return;
      }
      events.push({ kind: 'finished', ...result });
      events.end();
    };
    deps.runsInFlight.track(run()).catch(reject);
  });
}

/**
 * At most one delta event per this interval per stream: the first text goes out at once, what
 * the model writes within the next interval goes out joined. Each event costs a GraphQL
 * execution and a socket write, while a reader sees no difference at 20 updates a second (see
 * BENCHMARKS.md, workload 7).
 */
export const DELTA_INTERVAL_MS = 50;

/**
 * The events of one run for one reader. Deltas are joined: those written within DELTA_INTERVAL_MS
 * of the last one sent, and those waiting for a slow reader, so a reader that cannot keep up gets
 * fewer, larger deltas and the queue never grows past a few events (the text itself is bounded by
 * the template's maxTokens). Any other event flushes the text before it at once.
 */
class RunEventQueue implements AsyncIterableIterator<RunEvent> {
  private readonly queue: RunEvent[] = [];
  private waiting: {
    resolve: (result: IteratorResult<RunEvent>) => void;
    reject: (error: unknown) => void;
  } | null = null;
  private failure: { error: unknown } | null = null;
  private ended = false;
  private returned = false;
  private lastDeltaAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly onReturn: () => void,
    private readonly deltaIntervalMs = DELTA_INTERVAL_MS,
  ) {}

  push(event: RunEvent) {
    if (this.returned) return;
    const last = this.queue.at(-1);
    if (event.kind === 'delta' && last?.kind === 'delta') last.text += event.text;
    else this.queue.push(event.kind === 'delta' ? { ...event } : event);
    this.wake();
  }

  end() {
    this.ended = true;
    this.wake();
  }

  fail(error: unknown) {
    this.failure = { error };
    this.wake();
  }

  /** The text waiting alone in the queue, if it must wait for the interval to pass: how long. */
  private heldFor(): number {
    const [head] = this.queue;
    if (head?.kind !== 'delta' || this.queue.length > 1) return 0;
    return this.lastDeltaAt + this.deltaIntervalMs - performance.now();
  }

  private wake() {
    const waiting = this.waiting;
    // More text for a held delta: it goes out when the timer fires.
    if (!waiting || (this.timer && this.heldFor() > 0 && !this.failure)) return;
    this.waiting = null;
    this.next().then(waiting.resolve, waiting.reject);
  }

  async next(): Promise<IteratorResult<RunEvent>> {
    const held = this.heldFor();
    if (held > 0 && !this.returned) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.wake();
      }, held);
      return new Promise((resolve, reject) => {
        this.waiting = { resolve, reject };
      });
    }
    const event = this.queue.shift();
    if (event) {
      if (event.kind === 'delta') this.lastDeltaAt = performance.now();
      return { value: event, done: false };
    }
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      this.ended = true;
      throw error;
    }
    if (this.ended || this.returned) return { value: undefined, done: true };
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  async return(): Promise<IteratorResult<RunEvent>> {
    if (!this.returned && !this.ended) {
      this.returned = true;
      this.onReturn();
    }
    this.returned = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
    this.waiting?.resolve({ value: undefined, done: true });
    this.waiting = null;
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
