import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  print,
} from 'graphql';
import { FixedBuffer, isAsyncIterable, type Plugin } from 'graphql-yoga';
import { startedRepeater } from '../../lib/started-repeater.ts';
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

/** One subscriber, as the shared stream sees it. */
interface Member {
  deliver(result: ExecutionResult): void;
  end(error?: unknown): void;
}

class SharedStream {
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
              new GraphQLError(
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
