import { type DocumentNode, type ExecutionArgs, type ExecutionResult, print } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { apiError } from '../../lib/api-errors.ts';
import type { Context } from '../../schema/context.ts';

/**
 * A subscriber this many results behind (its socket cannot keep up) is ended with an error
 * instead of being buffered without bound or silently skipped: it gets what is queued, then the
 * error, and can resubscribe and re-read its history.
 */
export const MAX_QUEUED_RESULTS = 100;

type SubscribeFn = (
  args: ExecutionArgs,
) => PromiseLike<AsyncIterable<ExecutionResult> | ExecutionResult> | ExecutionResult;

/**
 * Subscriptions with the same key (viewer, document, operation name, variables) share one
 * source stream and one execution per event on this instance; each result is multicast to every
 * subscriber of the key. Without it, every subscription executes every event on its own.
 */
export function useSharedSubscriptions(): Plugin {
  const streams = new Map<string, SharedStream>();
  const documentTexts = new WeakMap<DocumentNode, string>();

  const keyOf = (args: ExecutionArgs) => {
    let text = documentTexts.get(args.document);
    if (text === undefined) {
      text = print(args.document);
      documentTexts.set(args.document, text);
    }
    const viewerId = (args.contextValue as Context | undefined)?.viewer?.id ?? null;
    return JSON.stringify([
      viewerId,
      text,
      args.operationName ?? null,
      args.variableValues ?? null,
    ]);
  };

  return {
    onSubscribe({ subscribeFn, setSubscribeFn }) {
      const subscribe = subscribeFn as SubscribeFn;
      setSubscribeFn(async (args: ExecutionArgs) => {
        const key = keyOf(args);
        let stream = streams.get(key);
        if (!stream) {
          stream = new SharedStream(() => {
            if (streams.get(key) === stream) streams.delete(key);
          });
          streams.set(key, stream);
          stream.open(subscribe, sharedArgs(args));
        }
        return stream.join();
      });
    },
  };
}

/** A subscription context's per-request and per-socket state (Yoga's, graphql-ws's, app.ts's). */
const PER_CONNECTION = [
  'request',
  'req',
  'res',
  'params',
  'socketKey',
  'extra',
  'connectionParams',
  'connectionInitReceived',
  'acknowledged',
  'subscriptions',
];

/**
 * The first subscriber's arguments, minus what belongs to its request or socket. Executing every
 * subscriber's events with one context is sound only because the key includes the viewer: what
 * is left of the context (database client, authorisation) is the viewer's, so RLS still decides
 * per viewer. A per-request field added to Context must be reset here too.
 */
function sharedArgs(args: ExecutionArgs): ExecutionArgs {
  const contextValue: Record<string, unknown> = {
    ...(args.contextValue as Context),
    // A subscription pays for nothing: the first subscriber's credential must not outlive it.
    paymentHeader: null,
    // Not the first subscriber's response (if it is HTTP at all): these headers go nowhere.
    responseHeaders: new Headers(),
  } satisfies Context;
  for (const name of PER_CONNECTION) delete contextValue[name];
  // No `signal` (one subscriber's request aborting must not end the others') and no rootValue
  // (app.ts passes the first socket's enveloped functions there, for graphql-ws only).
  const {
    signal: _signal,
    rootValue: _rootValue,
    ...rest
  } = args as ExecutionArgs & {
    signal?: AbortSignal;
  };
  return { ...rest, contextValue };
}

class SharedStream {
  private readonly subscribers = new Set<Subscriber>();
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

  /** Late joiners get only the results produced after they joined. */
  async join(): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const subscriber = new Subscriber(this);
    this.subscribers.add(subscriber);
    const refusal = await this.opened.catch((error) => {
      this.subscribers.delete(subscriber);
      throw error;
    });
    if (refusal) {
      this.subscribers.delete(subscriber);
      return refusal;
    }
    return subscriber;
  }

  leave(subscriber: Subscriber) {
    if (!this.subscribers.delete(subscriber) || this.subscribers.size > 0 || this.ended) return;
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
        for (const subscriber of this.subscribers) subscriber.deliver(value);
      }
      this.end();
    } catch (error) {
      this.end(error);
    }
  }

  /** Ends every subscriber (with `error`, if the source threw) and drops the key. */
  private end(error?: unknown) {
    if (this.ended) return;
    this.ended = true;
    this.forget();
    for (const subscriber of this.subscribers) subscriber.finish(error);
    this.subscribers.clear();
  }
}

/** One subscriber's view of a shared stream: a bounded queue of results not yet pulled. */
class Subscriber implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: ExecutionResult[] = [];
  private readonly waiting: Array<{
    resolve: (result: IteratorResult<ExecutionResult>) => void;
    reject: (error: unknown) => void;
  }> = [];
  private done = false;
  private error: unknown = null;

  constructor(private readonly stream: SharedStream) {}

  /** Results are shared by every subscriber of the key: hooks must replace them, not mutate. */
  deliver(result: ExecutionResult) {
    if (this.done) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve({ value: result, done: false });
    else if (this.queue.length < MAX_QUEUED_RESULTS) this.queue.push(result);
    else {
      this.stream.leave(this);
      this.finish(
        apiError(
          'SUBSCRIPTION_OVERFLOW',
          `More than ${MAX_QUEUED_RESULTS} results were waiting to be sent: resubscribe.`,
        ),
      );
    }
  }

  finish(error?: unknown) {
    if (this.done) return;
    this.done = true;
    this.error = error ?? null;
    // Waiters exist only while the queue is empty.
    for (const waiter of this.waiting.splice(0)) this.settle(waiter);
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve({ value: queued, done: false });
    if (!this.done) {
      return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
    }
    return new Promise((resolve, reject) => this.settle({ resolve, reject }));
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.queue.length = 0;
    this.error = null;
    this.stream.leave(this);
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  /** The error is thrown once (as graphql-js's iterators do); then the iterator is done. */
  private settle(waiter: (typeof this.waiting)[number]) {
    const error = this.error;
    this.error = null;
    if (error) waiter.reject(error);
    else waiter.resolve({ value: undefined, done: true });
  }
}
