import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';

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
  close(): Promise<void>;
}

type Topics = Record<string, [templateId: string, event: ExecutionLoggedEvent]>;

/**
 * @param namespace prefixes the channel, so several deployments (or test databases) can share
 * one Redis without hearing each other.
 */
export function createExecutionEvents(
  options: { redisUrl?: string; namespace?: string } = {},
): ExecutionEvents {
  const topic = `${options.namespace ?? 'promptmeter'}:executionLogged`;
  if (!options.redisUrl) {
    const pubSub = createPubSub<Topics>();
    return {
      description: 'in-process',
      publish: (event) => pubSub.publish(topic, event.templateId, event),
      subscribe: (templateId) => pubSub.subscribe(topic, templateId),
      close: async () => {},
    };
  }
  // Subscribing puts an ioredis connection in subscriber mode: publishing needs a second one.
  const publishClient = new Redis(options.redisUrl, { lazyConnect: false });
  const subscribeClient = new Redis(options.redisUrl, { lazyConnect: false });
  for (const client of [publishClient, subscribeClient]) {
    client.on('error', (error) => console.error('[pubsub] Redis error:', error.message));
  }
  const pubSub = createPubSub<Topics>({
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient }),
  });
  return {
    description: `Redis (${redactUrl(options.redisUrl)})`,
    publish: (event) => pubSub.publish(topic, event.templateId, event),
    subscribe: (templateId) => pubSub.subscribe(topic, templateId),
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
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
