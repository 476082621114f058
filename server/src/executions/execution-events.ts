import { setMaxListeners } from 'node:events';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { FixedBuffer } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { apiError } from '../lib/api-errors.ts';
import { startedRepeater } from '../lib/started-repeater.ts';

/** A run of `templateId` reached a final state. Only ids travel: subscribers re-read the row. */
export interface ExecutionLoggedEvent {
  id: string;
  templateId: string;
}

/** The one narrow interface to pub/sub: in-process by default, Redis across instances. */
export interface ExecutionEvents {
  readonly description: string;
  publish(event: ExecutionLoggedEvent): void;
  subscribe(templateId: string): AsyncIterableIterator<ExecutionLoggedEvent>;
  /** For readiness: rejects when the pub/sub backend cannot be reached now. */
  check(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A subscription this many events behind is ended with an error (its subscribers can
 * resubscribe and re-read their history) rather than buffering without bound. Yoga's pub/sub
 * throws from inside the event listener at its Repeater's limit, which crashes the process.
 */
export const MAX_QUEUED_EVENTS = 1000;

/**
 * @param namespace prefixes the channel, so several deployments (or test databases) can share
 * one Redis without hearing each other.
 */
export function createExecutionEvents(
  options: { redisUrl?: string; namespace?: string } = {},
): ExecutionEvents {
  const topic = `${options.namespace ?? 'promptmeter'}:executionLogged`;
  const { target, description, check, close } = options.redisUrl
    ? redisTarget(options.redisUrl)
    : inProcessTarget();
  // Channels are named as Yoga's createPubSub names them (`<topic>:<templateId>`).
  const channel = (templateId: string) => `${topic}:${templateId}`;
  return {
    description,
    publish: (event) => {
      target.dispatchEvent(new CustomEvent(channel(event.templateId), { detail: event }));
    },
    subscribe: (templateId) => listen(target, channel(templateId)),
    check,
    close,
  };
}

type Target = Pick<EventTarget, 'addEventListener' | 'removeEventListener' | 'dispatchEvent'>;

function inProcessTarget() {
  const target = new EventTarget();
  // One listener per shared subscription: many viewers on one template are expected.
  setMaxListeners(0, target);
  return {
    target,
    description: 'in-process',
    check: async () => {},
    close: async () => {},
  };
}

function redisTarget(redisUrl: string) {
  // Subscribing puts an ioredis connection in subscriber mode: publishing needs a second one.
  const publishClient = new Redis(redisUrl, { lazyConnect: false });
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false });
  for (const client of [publishClient, subscribeClient]) {
    client.on('error', (error) => console.error('[pubsub] Redis error:', error.message));
  }
  return {
    target: createRedisEventTarget({ publishClient, subscribeClient }),
    description: `Redis (${redactUrl(redisUrl)})`,
    check: async () => {
      await publishClient.ping();
    },
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}

/** The events of one channel, from this call on, queued up to MAX_QUEUED_EVENTS. */
function listen(target: Target, channel: string): AsyncIterableIterator<ExecutionLoggedEvent> {
  const queue = new FixedBuffer(MAX_QUEUED_EVENTS);
  return startedRepeater<ExecutionLoggedEvent>((push, stop) => {
    const onEvent = (event: Event) => {
      // Pushes past a full buffer wait in the Repeater, which throws at 1024 of them: from
      // inside dispatchEvent, a crash. A full buffer ends the subscription instead.
      if (queue.full)
        stop(
          apiError(
            'SUBSCRIPTION_OVERFLOW',
            `More than ${MAX_QUEUED_EVENTS} events were waiting: resubscribe.`,
          ),
        );
      else void push((event as CustomEvent<ExecutionLoggedEvent>).detail);
    };
    target.addEventListener(channel, onEvent);
    stop.then(() => target.removeEventListener(channel, onEvent));
  }, queue);
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}
