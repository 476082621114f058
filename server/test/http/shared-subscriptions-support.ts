import type { Plugin } from 'graphql-yoga';
import { expect } from 'vitest';
import WebSocket from 'ws';
import type { Context } from '../../src/schema/context.ts';
import type { TestApp } from '../support/test-app.ts';

export const SLIM = `subscription Slim($templateId: ID!) { executionLogged(templateId: $templateId) { id status } }`;

/** Polls until `check` holds, or fails with `what` after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const idsOf = (results: Array<{ data?: Record<string, any> | null }>) =>
  results.map((result) => result.data?.executionLogged?.id);

/**
 * Counts the database calls made by `userId`'s GraphQL contexts (Prisma operations and raw reads
 * as the viewer), through a Yoga plugin: the app's own seam for extra plugins.
 */
export function countDatabaseCalls(userId: () => string) {
  const calls = { count: 0 };
  const plugin: Plugin = {
    onContextBuilding({ context, extendContext }) {
      const built = context as unknown as Partial<Context>;
      if (!built.db || built.viewer?.id !== userId()) return;
      const readAsViewer = (built as { readAsViewer?: (statements: string[]) => Promise<unknown> })
        .readAsViewer;
      extendContext({
        db: built.db.$extends({
          query: {
            $allModels: {
              $allOperations({ args, query }) {
                calls.count++;
                return query(args);
              },
            },
          },
        }),
        ...(readAsViewer
          ? {
              readAsViewer: (statements: string[]) => {
                calls.count++;
                return readAsViewer(statements);
              },
            }
          : {}),
      } as never);
    },
  };
  return { calls, plugin };
}

/** A graphql-ws client spoken by hand: what the server really sends, per subscription id. */
export async function rawSocket(app: TestApp, token: string) {
  const socket = new WebSocket(`${app.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: Array<{ id?: string; type: string; payload?: any }> = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const send = (message: object) => socket.send(JSON.stringify(message));
  send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
  await until(() => messages.some((m) => m.type === 'connection_ack'), 'connection_ack');
  let pings = 0;
  return {
    subscribe: (id: string, query: string, variables: object) =>
      send({ id, type: 'subscribe', payload: { query, variables } }),
    complete: (id: string) => send({ id, type: 'complete' }),
    /** Resolves once the server has handled every message sent before it. */
    async barrier() {
      const seen = ++pings;
      send({ type: 'ping' });
      await until(() => messages.filter((m) => m.type === 'pong').length >= seen, 'pong');
    },
    nextIds: (id: string) =>
      messages
        .filter((m) => m.id === id && m.type === 'next')
        .map((m) => m.payload.data.executionLogged.id),
    close: () => socket.close(),
  };
}

/** A subscription over HTTP (server-sent events), as Yoga serves it. */
export async function sseSubscription(
  app: TestApp,
  token: string,
  query: string,
  variables: object,
) {
  const controller = new AbortController();
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: {
      accept: 'text/event-stream',
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
  const results: Array<{ data?: Record<string, any> | null }> = [];
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  void (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const data = lines.find((line) => line.startsWith('data: '));
        if (lines.includes('event: next') && data) results.push(JSON.parse(data.slice(6)));
      }
    }
  })();
  return { results, close: () => controller.abort() };
}
