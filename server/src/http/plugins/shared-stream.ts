import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { FixedBuffer, isAsyncIterable } from 'graphql-yoga';
import { apiError } from '../../lib/api-errors.ts';
import { startedRepeater } from '../../lib/started-repeater.ts';

/**
 * A subscriber this many results behind (its socket cannot keep up) is ended with an error
 * instead of being buffered without bound or silently skipped: it gets what is queued, then the
 * error, and can resubscribe and re-read its history.
 */
export const MAX_QUEUED_RESULTS = 100;

export type SubscribeFn = (
  args: ExecutionArgs,
) => PromiseLike<AsyncIterable<ExecutionResult> | ExecutionResult> | ExecutionResult;

/** One subscriber, as the shared stream sees it. */
interface Member {
  deliver(result: ExecutionResult): void;
  end(error?: unknown): void;
}

/** One source stream, multicast to its members; released when the last one leaves. */
export class SharedStream {
  private readonly members = new Set<Member>();
  private source: AsyncIterator<ExecutionResult> | null = null;
  private ended = false;
  /** The source, or the error result of a subscribe that did not start one (not kept). */
  private opened!: Promise<ExecutionResult | null>;

  constructor(private readonly forget: () => void) {}

  open(subscribe: SubscribeFn, args: ExecutionArgs) {
    this.opened = (async () => {
      let result: AsyncIterable<ExecutionResult> | ExecutionResult;
      try {
        result = await subscribe(args);
      } catch (error) {
        this.end();
        throw error;
      }
      if (!isAsyncIterable(result)) {
        // Only subscribers whose subscribe was in flight with this one get it (as a coalesced
        // read would); the key is dropped, so the next subscriber tries again.
        this.end();
        return result;
      }
      this.source = result[Symbol.asyncIterator]();
      if (this.ended) this.release();
      else void this.pump(this.source);
      return null;
    })();
  }

  /**
   * Late joiners get only the results produced after they joined. Each has a queue of
   * MAX_QUEUED_RESULTS; past it, the subscriber gets what is queued, then the error.
   */
  async join(): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const queue = new FixedBuffer(MAX_QUEUED_RESULTS);
    const subscriber = startedRepeater<ExecutionResult>((push, stop) => {
      const member: Member = {
        // Results are shared by every subscriber of the key: hooks must replace them, not mutate.
        deliver: (result) => {
          if (!queue.full) void push(result);
          else
            stop(
              apiError(
                'SUBSCRIPTION_OVERFLOW',
                `More than ${MAX_QUEUED_RESULTS} results were waiting to be sent: resubscribe.`,
              ),
            );
        },
        end: stop,
      };
      this.members.add(member);
      stop.then(() => this.leave(member));
    }, queue);
    // A failed or refused subscribe has ended every member already.
    return (await this.opened) ?? subscriber;
  }

  private leave(member: Member) {
    if (!this.members.delete(member) || this.members.size > 0 || this.ended) return;
    // The last one left: release the source, and with it the pub/sub listener.
    this.end();
    this.release();
  }

  private release() {
    this.source?.return?.().catch((error: Error) => {
      console.error('[subscriptions] closing a shared source failed:', error.message);
    });
  }

  private async pump(source: AsyncIterator<ExecutionResult>) {
    try {
      for (;;) {
        const { value, done } = await source.next();
        if (done || this.ended) break;
        for (const member of this.members) member.deliver(value);
      }
      this.end();
    } catch (error) {
      this.end(error);
    }
  }

  /** Ends every member (with `error`, if the source threw) and drops the key. */
  private end(error?: unknown) {
    if (this.ended) return;
    this.ended = true;
    this.forget();
    for (const member of this.members) member.end(error);
    this.members.clear();
  }
}
