import type { FormattedExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MessagesApiServer,
  startMessagesApiServer,
} from '../../src/llm/offline-messages-api.ts';
import { createTemplate, EXECUTE, EXECUTION_LOGGED } from '../support/operations.ts';
import { collect } from '../support/subscription-results.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const LOG = 'x402_prompt_template_usage_logs';
const MODEL_DELAY_MS = 1500;

async function until(condition: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// What an operator's SIGTERM does (main.ts calls the same stop): runs in flight finish and are
// logged, new ones are refused with a retryable 503, live sockets are told "going away".
describe('a graceful stop with runs in flight', () => {
  let modelServer: MessagesApiServer;
  let app: TestApp;
  let caller: string;
  let templateId: string;

  beforeAll(async () => {
    modelServer = await startMessagesApiServer({
      defaultBehaviour: { kind: 'delay', ms: MODEL_DELAY_MS },
    });
    app = await startTestApp({ modelServer });
    caller = await app.token('caller');
    templateId = await createTemplate(app, await app.token('owner'));
  });
  afterAll(async () => {
    await app?.close();
    await modelServer?.close();
  });

  it('lets 5 runs finish and log success, refuses new runs with 503, closes sockets with 1001', async () => {
    const socket = app.ws(caller);
    const closeCode = new Promise<number>((resolve) => {
      socket.on('closed', (event) => resolve((event as CloseEvent).code));
    });
    const since = app.subscriptionsStarted();
    collect(socket, EXECUTION_LOGGED, { templateId });
    await app.waitForSubscribers(1, since);

    const input = (i: number) => ({ input: { templateId, variables: { topic: `topic ${i}` } } });
    const runs = [0, 1, 2, 3, 4].map((i) =>
      app.gql(EXECUTE, input(i), { token: caller, network: true }),
    );
    await until(() => modelServer.requests.length === 5, 'the 5 runs to reach the model');

    const stopped = app.app.stop({ graceMs: 20_000 });
    expect(app.services.runsInFlight.count).toBe(5);

    // No new connection is accepted; a run sent on an open WebSocket, or in an HTTP request
    // that reached Yoga (yoga.fetch: no socket needed), is refused before anything is written.
    await expect(fetch(`${app.url}/health/live`)).rejects.toThrow();
    const overSocket = await new Promise<FormattedExecutionResult>((resolve, reject) => {
      socket.subscribe(
        { query: EXECUTE, variables: input(5) },
        { next: resolve, error: reject, complete: () => {} },
      );
    });
    expect(overSocket.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    const overHttp = await app.gql(EXECUTE, input(6), { token: caller });
    expect(overHttp.status).toBe(503);
    expect(overHttp.headers.get('retry-after')).toBe('5');
    expect(overHttp.errors?.[0]).toMatchObject({
      message: 'The server is shutting down; retry on another instance.',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });

    await expect(stopped).resolves.toEqual({ runsLeft: 0 });
    const results = await Promise.all(runs);
    for (const result of results) {
      expect(result.status).toBe(200);
      expect(result.data?.executeTemplate.execution.status).toBe('SUCCESS');
      expect(result.data?.executeTemplate.output).toEqual(expect.any(String));
    }
    expect(await app.db.query(`SELECT status FROM ${LOG}`)).toEqual(
      Array.from({ length: 5 }, () => ({ status: 'success' })),
    );
    expect(await closeCode).toBe(1001);
    expect(modelServer.requests).toHaveLength(5);
  });
});

describe('a graceful stop whose grace period runs out', () => {
  let app: TestApp;
  afterAll(() => app?.close());

  it('cuts a run that outlives it, and stop() still resolves', async () => {
    // Counts operations whose execution ended, resolvers of the payload's fields included.
    let executed = 0;
    const countExecutions: Plugin = { onExecute: () => ({ onExecuteDone: () => void executed++ }) };
    app = await startTestApp({ plugins: [countExecutions] });
    const owner = await app.token('owner');
    const templateId = await createTemplate(app, owner);
    app.modelServer.enqueue({ kind: 'delay', ms: MODEL_DELAY_MS });
    const run = app.gql(
      EXECUTE,
      { input: { templateId, variables: { topic: 'slow' } } },
      {
        token: owner,
        network: true,
      },
    );
    await until(() => app.modelServer.requests.length === 1, 'the run to reach the model');
    const executedBefore = executed;

    await expect(app.app.stop({ graceMs: 100 })).resolves.toEqual({ runsLeft: 1 });
    await expect(run).rejects.toThrow();
    // The abandoned run goes on in the background (the sweeper's case after an exit): let it
    // end before the database closes.
    await until(() => executed > executedBefore, 'the abandoned run to end');
  });
});
