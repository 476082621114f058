import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Plugin } from 'graphql-yoga';
import type { ServerContext } from './context.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * The HTTP requests being answered, so a graceful stop lets them finish. Subscriptions over
 * HTTP (SSE) never finish by themselves: they are not waited for, only cut at the end. While
 * draining, each response is sent with `Connection: close`, so keep-alive clients reconnect
 * elsewhere instead of sending more requests here.
 */
export function trackRequests() {
  const open = new Map<IncomingMessage, ServerResponse>();
  const subscriptions = new WeakSet<IncomingMessage>();
  let draining = false;

  const closeAfterResponse = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };
  const pending = () => [...open.keys()].filter((req) => !subscriptions.has(req)).length;

  return {
    /** `listener`, counting the requests it answers. */
    counting: (listener: Listener) => (req: IncomingMessage, res: ServerResponse) => {
      open.set(req, res);
      res.once('close', () => open.delete(req));
      if (draining) closeAfterResponse(res);
      return listener(req, res);
    },
    /** Marks HTTP subscriptions (a WebSocket operation's req is never an open request). */
    plugin: {
      onSubscribe({ args }) {
        const { req } = args.contextValue as ServerContext;
        if (req) subscriptions.add(req);
      },
    } satisfies Plugin,
    get pending() {
      return pending();
    },
    drain() {
      draining = true;
      for (const res of open.values()) closeAfterResponse(res);
    },
    /** True once no request but subscriptions is open; false if `timeoutMs` passes first. */
    async drained(timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      // Polled: a request becomes a subscription (not waited for) only once it is parsed.
      while (pending() > 0) {
        if (Date.now() >= deadline) return false;
        await sleep(20);
      }
      return true;
    },
  };
}
