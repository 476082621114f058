import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis pub/sub that outlives Redis going away. Every command's error is handled (an unhandled
 * rejection would end the process), nothing queues while Redis is down, and subscriptions are
 * ours: on every (re)connection the subscriber subscribes to the channels wanted now.
 */
export interface RedisEventTarget {
  /** Fire and forget: while Redis is down the message is dropped and counted. */
  publish(channel: string, message: string): void;
  /** Calls `onMessage` with each message on `channel` until the returned function is called. */
  /** `onResubscribed`: after a reconnect, messages sent while away were lost. */
  listen(
    channel: string,
    onMessage: (message: string) => void,
    onResubscribed?: () => void,
  ): () => void;
  /** Rejects unless both connections answer a PING within CHECK_TIMEOUT_MS. */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** Short, so that a readiness probe answers fast when Redis hangs. */
const CHECK_TIMEOUT_MS = 1000;

/** Publishes held until the first connection of a process that just started. */
const MAX_WAITING_FOR_CONNECTION = 100;

const connectionOptions: RedisOptions = {
  // 200 ms, 400 ms, … then every 2 s, for as long as the process lives.
  retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  // While disconnected, commands fail at once instead of piling up in memory.
  enableOfflineQueue: false,
  // A command in flight when the connection drops fails then, rather than waiting for Redis.
  maxRetriesPerRequest: 0,
  // We resubscribe ourselves on 'ready': one mechanism, and only to channels still wanted.
  autoResubscribe: false,
};

export function createRedisEventTarget(
  redisUrl: string,
  log: (line: string) => void = console.error,
): RedisEventTarget {
  // Subscribing puts a connection in subscriber mode: publishing needs a second one.
  const publisher = new Redis(redisUrl, connectionOptions);
  const subscriber = new Redis(redisUrl, connectionOptions);
  const outage = outageReport(
    log,
    () => publisher.status === 'ready' && subscriber.status === 'ready',
  );
  /** The channels wanted now, with their local listeners: one SUBSCRIBE per channel. */
  const listeners = new Map<string, Set<(message: string) => void>>();
  /** Per channel, who wants to know that messages may have been lost (a reconnect). */
  const resubscribed = new Map<string, Set<() => void>>();
  let closing = false;
  const subscribeFailed = (error: Error) => outage.fail(`subscriber: ${error.message}`);

  for (const [name, client] of [
    ['publisher', publisher],
    ['subscriber', subscriber],
  ] as const) {
    client.on('error', (error) => closing || outage.fail(`${name}: ${error.message}`));
    client.on('close', () => closing || outage.fail(`${name}: connection closed`));
  }
  publisher.on('ready', outage.recovered);
  subscriber.on('ready', () => {
    const channels = [...listeners.keys()];
    if (channels.length === 0) return outage.recovered();
    subscriber.subscribe(...channels).then(() => {
      outage.recovered();
      // Whatever was published while it was away is lost: its listeners catch up elsewhere.
      for (const channel of channels) {
        for (const onResubscribed of [...(resubscribed.get(channel) ?? [])]) {
          try {
            onResubscribed();
          } catch (error) {
            log(
              `[pubsub] A listener on ${channel} failed on resubscribing: ${(error as Error).message}`,
            );
          }
        }
      }
    }, subscribeFailed);
  });

  subscriber.on('message', (channel: string, message: string) => {
    for (const onMessage of [...(listeners.get(channel) ?? [])]) {
      try {
        onMessage(message);
      } catch (error) {
        log(`[pubsub] A listener on ${channel} failed: ${(error as Error).message}`);
      }
    }
  });

  const send = (channel: string, message: string) => {
    publisher
      .publish(channel, message)
      .then(outage.recovered, (error: Error) => outage.dropped(`publisher: ${error.message}`));
  };
  // Publishes before the first connection wait for it (a few: a process just started), unless
  // that first attempt fails; afterwards one while disconnected is dropped.
  let waitingForConnection: [string, string][] | undefined = [];
  const stopWaiting = () => {
    const waiting = waitingForConnection ?? [];
    waitingForConnection = undefined;
    for (const [channel, message] of waiting) send(channel, message);
  };
  publisher.once('ready', stopWaiting);
  publisher.once('close', stopWaiting);

  return {
    publish: (channel, message) => {
      if (closing) return;
      if (waitingForConnection && waitingForConnection.length < MAX_WAITING_FOR_CONNECTION)
        waitingForConnection.push([channel, message]);
      else send(channel, message);
    },
    listen: (channel, onMessage, onResubscribed) => {
      let channelListeners = listeners.get(channel);
      if (!channelListeners) {
        channelListeners = new Set();
        listeners.set(channel, channelListeners);
        // When not connected, the next 'ready' subscribes to it.
        if (subscriber.status === 'ready') subscriber.subscribe(channel).catch(subscribeFailed);
      }
      const listener = (message: string) => onMessage(message);
      channelListeners.add(listener);
      const onReady = onResubscribed ? () => onResubscribed() : null;
      if (onReady) {
        const callbacks = resubscribed.get(channel) ?? new Set();
        resubscribed.set(channel, callbacks.add(onReady));
      }
      return () => {
        if (onReady) {
          const callbacks = resubscribed.get(channel);
          callbacks?.delete(onReady);
          if (callbacks?.size === 0) resubscribed.delete(channel);
        }
        if (!channelListeners.delete(listener) || channelListeners.size > 0) return;
        listeners.delete(channel);
        // When not connected, it is simply no longer wanted: the next connection never has it.
        if (subscriber.status === 'ready') subscriber.unsubscribe(channel).catch(subscribeFailed);
      };
    },
    check: async () => {
      await withTimeout(
        Promise.all([publisher.ping(), subscriber.ping()]),
        CHECK_TIMEOUT_MS,
        `Redis did not answer PING within ${CHECK_TIMEOUT_MS} ms`,
      );
    },
    close: async () => {
      closing = true;
      outage.closing();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
      // quit() fails while reconnecting; disconnect() also cancels the next attempt.
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

/** One line when Redis becomes unavailable, one when it is back: not one per failed event. */
function outageReport(log: (line: string) => void, connected: () => boolean) {
  let since: number | undefined;
  let droppedEvents = 0;
  const summary = () =>
    `${((Date.now() - (since ?? 0)) / 1000).toFixed(1)} s; ${droppedEvents} event(s) could not be published meanwhile`;
  const fail = (reason: string) => {
    if (since !== undefined) return;
    since = Date.now();
    log(`[pubsub] Redis unavailable (${reason}): live events are dropped until it is back.`);
  };
  return {
    fail,
    dropped: (reason: string) => {
      fail(reason);
      droppedEvents++;
    },
    recovered: () => {
      if (since === undefined || !connected()) return;
      log(`[pubsub] Redis is back after ${summary()}.`);
      since = undefined;
      droppedEvents = 0;
    },
    closing: () => {
      if (since !== undefined) log(`[pubsub] Closing while Redis is unavailable for ${summary()}.`);
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
