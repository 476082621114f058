import { FixedBuffer } from 'graphql-yoga';
import { apiError } from '../lib/api-errors.ts';
import { startedRepeater } from '../lib/started-repeater.ts';
import { createRedisEventTarget } from './redis-event-target.ts';

/** A run of `templateId` started or changed state. Only ids travel: a hint to re-read. */
export interface ExecutionLoggedEvent {
  id: string;
  templateId: string;
}

/** The one narrow interface to pub/sub: in-process by default, Redis across instances. */
export interface ExecutionEvents {
  readonly description: string;
  publish(event: ExecutionLoggedEvent): void;
  /**
   * The template's events from now on. With `onMissed`, events that could not be delivered (a
   * reconnect to Redis, a full queue) are reported to it instead of ending the subscription:
   * for subscribers that catch up from the database.
   */
  subscribe(
    templateId: string,
    options?: { onMissed?: () => void },
  ): AsyncIterableIterator<ExecutionLoggedEvent>;
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
 * @param log where Redis outages and recoveries are reported (one line each).
 */
export function createExecutionEvents(
  options: { redisUrl?: string; namespace?: string; log?: (line: string) => void } = {},
): ExecutionEvents {
  const topic = `${options.namespace ?? 'promptmeter'}:executionLogged`;
  const channels = options.redisUrl
    ? redisChannels(options.redisUrl, options.log)
    : inProcessChannels();
  // Channels are named as Yoga's createPubSub names them (`<topic>:<templateId>`).
  const channel = (templateId: string) => `${topic}:${templateId}`;
  return {
    description: channels.description,
    publish: (event) => {
      channels.publish(channel(event.templateId), { id: event.id, templateId: event.templateId });
    },
    subscribe: (templateId, options = {}) =>
      listen(channels, channel(templateId), templateId, options.onMissed),
    check: channels.check,
    close: channels.close,
  };
}

/** Where events travel: one process, or every instance through Redis. */
interface Channels {
  readonly description: string;
  publish(channel: string, event: ExecutionLoggedEvent): void;
  /** Calls `onEvent` with each event on `channel` until the returned function is called. */
  listen(
    channel: string,
    onEvent: (event: ExecutionLoggedEvent) => void,
    onMissed?: () => void,
  ): () => void;
  check(): Promise<void>;
  close(): Promise<void>;
}

function inProcessChannels(): Channels {
  const listeners = new Map<string, Set<(event: ExecutionLoggedEvent) => void>>();
  return {
    description: 'in-process',
    publish: (channel, event) => {
      for (const onEvent of [...(listeners.get(channel) ?? [])]) onEvent(event);
    },
    listen: (channel, onEvent) => {
      const channelListeners = listeners.get(channel) ?? new Set();
      listeners.set(channel, channelListeners);
      const listener = (event: ExecutionLoggedEvent) => onEvent(event);
      channelListeners.add(listener);
      return () => {
        channelListeners.delete(listener);
        if (channelListeners.size === 0 && listeners.get(channel) === channelListeners)
          listeners.delete(channel);
      };
    },
    check: async () => {},
    close: async () => {},
  };
}

function redisChannels(redisUrl: string, log?: (line: string) => void): Channels {
  const target = createRedisEventTarget(redisUrl, log);
  return {
    description: `Redis (${redactUrl(redisUrl)})`,
    publish: (channel, event) => target.publish(channel, JSON.stringify(event)),
    listen: (channel, onEvent, onMissed) =>
      target.listen(
        channel,
        (message) => {
          const event = parseEvent(message);
          if (event) onEvent(event);
        },
        onMissed,
      ),
    check: target.check,
    close: target.close,
  };
}

/** An event, or undefined for anything else: a shared Redis may carry anything. */
function parseEvent(message: string): ExecutionLoggedEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, templateId } = value as Record<string, unknown>;
  return typeof id === 'string' && typeof templateId === 'string' ? { id, templateId } : undefined;
}

/** The events of one channel, from this call on, queued up to MAX_QUEUED_EVENTS. */
function listen(
  channels: Channels,
  channel: string,
  templateId: string,
  onMissed?: () => void,
): AsyncIterableIterator<ExecutionLoggedEvent> {
  const queue = new FixedBuffer(MAX_QUEUED_EVENTS);
  return startedRepeater<ExecutionLoggedEvent>((push, stop) => {
    const onEvent = (event: ExecutionLoggedEvent) => {
      // Another template's event on this channel is not for these subscribers.
      if (event.templateId !== templateId) return;
      // Pushes past a full buffer wait in the Repeater, which throws at 1024 of them: from
      // inside the publisher's loop, a crash. A full buffer ends the subscription instead.
      if (queue.full && onMissed) onMissed();
      else if (queue.full)
        stop(
          apiError(
            'SUBSCRIPTION_OVERFLOW',
            `More than ${MAX_QUEUED_EVENTS} events were waiting: resubscribe.`,
          ),
        );
      else void push(event);
    };
    const stopListening = channels.listen(channel, onEvent, onMissed);
    stop.then(stopListening);
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
