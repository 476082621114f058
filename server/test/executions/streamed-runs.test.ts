import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKEND_ROLE, REQUEST_ROLE } from '../../src/db/roles.ts';
import { sql } from '../../src/db/sql.ts';
import { countTokens } from '../../src/llm/offline-messages-api.ts';
import { createTemplate, EXECUTE, EXECUTION_LOGGED } from '../support/operations.ts';
import { runOverSse, sseResults, streamOverWs } from '../support/streamed-runs.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const NODE = /* GraphQL */ `
  query Node($id: ID!) {
    node(id: $id) { ... on Execution { id status errorMessage inputTokens outputTokens amountPaid } }
  }
`;
const CANCEL = /* GraphQL */ `
  mutation Cancel($id: ID!) {
    cancelExecution(id: $id) { id status errorMessage inputTokens outputTokens amountPaid }
  }
`;

const PROMPT = 'Write a haiku about autumn.'; // the test template's prompt with topic "autumn"
const WORDS = (n: number) => Array.from({ length: n }, (_, i) => `word${i + 1}`).join(' ');
// The model's usage for a stopped or broken stream: message_start's counts.
const SO_FAR = { inputTokens: countTokens(PROMPT), outputTokens: 1 };

// Issue 13: a run streamed over GraphQL (graphql-ws and SSE), stopped by its caller from anywhere.
describe('streamed runs', () => {
  let app: TestApp;
  let owner: string;
  let caller: string;
  let templateId: string;
  const input = () => ({ templateId, variables: { topic: 'autumn' } });
  const lastReplyEnd = () => app.modelServer.replyEnds[app.modelServer.requests.length - 1];

  beforeAll(async () => {
    app = await startTestApp();
    [owner, caller] = await Promise.all([app.token('owner'), app.token('caller')]);
    templateId = await createTemplate(app, owner);
  });
  afterAll(() => app?.close());

  const rowOf = async (id: string) =>
    (await app.gql(NODE, { id }, { token: caller })).data?.node as Record<string, unknown>;
  const waitForFinalRow = (id: string) =>
    vi.waitFor(
      async () => {
        const row = await rowOf(id);
        expect(row.status).not.toBe('RUNNING');
        return row;
      },
      { timeout: 5000, interval: 50 },
    );

  it('sends the RUNNING row first, then the text as the model writes it, then the final row', async () => {
    const text = 'one two three four five six';
    app.modelServer.enqueue({
      kind: 'text',
      text,
      inputTokens: 9,
      outputTokens: 6,
      chunkDelayMs: 80,
    });
    // With each event: had the model finished its reply when the client got it?
    const stream = streamOverWs(app.ws(caller), input(), () => lastReplyEnd() !== undefined);
    await stream.until(() => stream.completed);

    expect(stream.errors).toEqual([]);
    const [first, ...rest] = stream.events;
    expect(first?.event).toMatchObject({
      __typename: 'ExecutionStarted',
      execution: { status: 'RUNNING' },
    });
    const deltas = stream.deltas();
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    // The first text reached the client while the model was still writing.
    expect(deltas[0]?.seen).toBe(false);
    // In order: started, deltas, finished — and the deltas join to exactly the output.
    expect(rest.map(({ event }) => event.__typename)).toEqual([
      ...deltas.map(() => 'ExecutionOutputDelta'),
      'ExecutionFinished',
    ]);
    expect(deltas.map(({ event }) => event.text).join('')).toBe(text);
    const finished = stream.finished();
    expect(finished).toMatchObject({
      output: text,
      paymentResponse: null,
      execution: {
        id: first?.event.execution.id,
        status: 'SUCCESS',
        errorMessage: null,
        inputTokens: 9,
        outputTokens: 6,
        amountPaid: '0',
      },
    });
    expect(await rowOf(finished?.execution.id)).toMatchObject({
      status: 'SUCCESS',
      outputTokens: 6,
    });
  });

  it('joins what the model writes within 50 ms into one delta event; the text is exact', async () => {
    const text = WORDS(40);
    app.modelServer.enqueue({ kind: 'text', text, chunkDelayMs: 5 });
    const stream = streamOverWs(app.ws(caller), input(), () => performance.now());
    await stream.until(() => stream.completed);

    const deltas = stream.deltas();
    expect(deltas.map(({ event }) => event.text).join('')).toBe(text);
    expect(stream.finished()?.output).toBe(text);
    // The server sends a delta at most every 50 ms, between the model's first word and the
    // client's receipt of the end (this process holds both clocks).
    const modelFirst = app.modelServer.deltaTimes.at(-1)?.first ?? 0;
    const finishedAt = stream.events.at(-1)?.seen ?? 0;
    expect(deltas.length).toBeLessThanOrEqual(Math.floor((finishedAt - modelFirst) / 50) + 2);
    expect(deltas.length).toBeLessThan(40);
  });

  it('streams over HTTP as server-sent events, in the same order', async () => {
    const text = 'alpha beta gamma delta';
    app.modelServer.enqueue({ kind: 'text', text, chunkDelayMs: 30 });
    const response = await runOverSse(app.url, input(), { token: caller });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = [];
    for await (const result of sseResults(response)) {
      expect(result.errors).toBeUndefined();
      events.push(result.data?.runTemplate);
    }
    expect(events[0].__typename).toBe('ExecutionStarted');
    expect(events.at(-1)).toMatchObject({
      __typename: 'ExecutionFinished',
      output: text,
      execution: { status: 'SUCCESS', inputTokens: countTokens(PROMPT), outputTokens: 4 },
    });
    const deltas = events.filter((event) => event.__typename === 'ExecutionOutputDelta');
    expect(deltas.map((event) => event.text).join('')).toBe(text);
  });

  it('ends FAILED with the partial tokens when the model breaks the stream', async () => {
    app.modelServer.enqueue({
      kind: 'break',
      text: 'one two three four five',
      afterChunks: 3,
      chunkDelayMs: 20,
    });
    const stream = streamOverWs(app.ws(caller), input());
    await stream.until(() => stream.completed);

    expect(
      stream
        .deltas()
        .map(({ event }) => event.text)
        .join(''),
    ).toBe('one two three ');
    expect(stream.finished()).toMatchObject({
      output: null,
      execution: {
        status: 'FAILED',
        errorMessage: 'stream interrupted after 3 chunks: terminated: other side closed',
        ...SO_FAR,
        amountPaid: '0',
      },
    });
    expect(lastReplyEnd()).toBe('broken');
  });

  it('stops the run when the caller unsubscribes: the model request is aborted, the row ends "cancelled"', async () => {
    app.modelServer.enqueue({ kind: 'text', text: WORDS(40), chunkDelayMs: 100 });
    const stream = streamOverWs(app.ws(caller), input());
    await stream.until(() => stream.deltas().length >= 2);
    const id = stream.events[0]?.event.execution.id;
    stream.unsubscribe();

    // The loopback Messages API sees its client close the connection.
    await vi.waitFor(() => expect(lastReplyEnd()).toBe('client-closed'), {
      timeout: 1000,
      interval: 10,
    });
    expect(await waitForFinalRow(id)).toEqual({
      id,
      status: 'FAILED',
      errorMessage: 'cancelled',
      ...SO_FAR,
      amountPaid: '0',
    });
  });

  it('stops the run when an SSE client disconnects', async () => {
    app.modelServer.enqueue({ kind: 'text', text: WORDS(40), chunkDelayMs: 100 });
    const disconnect = new AbortController();
    const response = await runOverSse(app.url, input(), {
      token: caller,
      signal: disconnect.signal,
    });
    const results = sseResults(response);
    const started = (await results.next()).value;
    const id = started?.data?.runTemplate.execution.id;
    expect(started?.data?.runTemplate.__typename).toBe('ExecutionStarted');
    expect((await results.next()).value?.data?.runTemplate.__typename).toBe('ExecutionOutputDelta');
    disconnect.abort();

    await vi.waitFor(() => expect(lastReplyEnd()).toBe('client-closed'), {
      timeout: 1000,
      interval: 10,
    });
    expect(await waitForFinalRow(id)).toMatchObject({
      status: 'FAILED',
      errorMessage: 'cancelled',
    });
  });

  it('cancelExecution from another instance stops the stream, which ends with the cancelled row', async () => {
    const other = await startTestApp({ database: app.database, modelServer: app.modelServer });
    try {
      app.modelServer.enqueue({ kind: 'text', text: WORDS(60), chunkDelayMs: 100 });
      const stream = streamOverWs(app.ws(caller), input());
      await stream.until(() => stream.deltas().length >= 1);
      const id = stream.events[0]?.event.execution.id;

      // Someone else (here the template's owner, who sees the run) may not stop it.
      const refused = await other.gql(CANCEL, { id }, { token: owner });
      expect(refused.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'id',
      });
      const stranger = await other.gql(CANCEL, { id }, { token: await other.token('stranger') });
      expect(stranger.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

      const cancelled = await other.gql(CANCEL, { id }, { token: caller });
      expect(cancelled.errors).toBeUndefined();
      expect(cancelled.data?.cancelExecution).toEqual({
        id,
        status: 'FAILED',
        errorMessage: 'cancelled',
        ...SO_FAR,
        amountPaid: '0',
      });
      // The model sees its connection closed (the row can be written before it notices).
      await vi.waitFor(() => expect(lastReplyEnd()).toBe('client-closed'), {
        timeout: 1000,
        interval: 10,
      });
      await stream.until(() => stream.completed);
      expect(stream.finished()).toMatchObject({
        output: null,
        execution: { id, status: 'FAILED', errorMessage: 'cancelled' },
      });

      // A run that has ended is returned as it is.
      const again = await app.gql(CANCEL, { id }, { token: caller });
      expect(again.data?.cancelExecution).toMatchObject({
        status: 'FAILED',
        errorMessage: 'cancelled',
      });
    } finally {
      await other.close();
    }
  });

  it('cancelExecution stops a synchronous executeTemplate too; its answer is the cancelled run', async () => {
    app.modelServer.enqueue({ kind: 'text', text: WORDS(60), chunkDelayMs: 100 });
    const live = await app.watch(caller, EXECUTION_LOGGED, { templateId });
    const running = app.gql(EXECUTE, { input: input() }, { token: caller });
    await live.waitFor(1);
    const started = live.results[0]?.data?.executionLogged;
    expect(started?.status).toBe('RUNNING');

    const cancelled = await app.gql(CANCEL, { id: started.id }, { token: caller });
    expect(cancelled.data?.cancelExecution).toMatchObject({
      status: 'FAILED',
      errorMessage: 'cancelled',
    });
    const answer = await running;
    expect(answer.data?.executeTemplate).toMatchObject({
      output: null,
      execution: { id: started.id, status: 'FAILED', errorMessage: 'cancelled' },
    });
    live.unsubscribe();
  });

  it('never shares a run between two identical subscriptions of one viewer', async () => {
    const a = streamOverWs(app.ws(caller), input());
    const b = streamOverWs(app.ws(caller), input());
    await a.until(() => a.completed);
    await b.until(() => b.completed);
    const ids = [a, b].map((stream) => stream.finished()?.execution.id);
    expect(ids[0]).toBeTruthy();
    expect(ids[1]).toBeTruthy();
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('refuses bad input before writing anything, with the code as executeTemplate does', async () => {
    const before = app.modelServer.requests.length;
    const unknownVariable = streamOverWs(app.ws(caller), { templateId, variables: { nope: 1 } });
    await unknownVariable.until(() => unknownVariable.errors.length > 0);
    expect((unknownVariable.errors[0] as any)?.extensions?.code ?? unknownVariable.errors).toBe(
      'BAD_USER_INPUT',
    );
    const anonymous = await runOverSse(app.url, input());
    const results = [];
    for await (const result of sseResults(anonymous)) results.push(result);
    const [result] = results;
    expect(result?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(app.modelServer.requests.length).toBe(before);
  });

  it("lets only a run's caller record its cancellation, only while it runs (RLS, not just the API)", async () => {
    app.modelServer.enqueue({ kind: 'text', text: WORDS(30), chunkDelayMs: 100 });
    const stream = streamOverWs(app.ws(caller), input());
    await stream.until(() => stream.deltas().length >= 1);
    const id = Buffer.from(stream.events[0]?.event.execution.id, 'base64')
      .toString()
      .replace(/^Execution:/, '');
    const insert = (requestedBy: string) =>
      sql`INSERT INTO x402_execution_cancellations (execution_id, requested_by) VALUES (${sql.uuid(id)}, ${sql.uuid(requestedBy)})`;
    // The template's owner reads the run, but may not stop it, even naming the caller.
    await expect(
      app.db.runAs(REQUEST_ROLE, app.userId('owner'), [insert(app.userId('owner'))]),
    ).rejects.toThrow(/row-level security/);
    await expect(
      app.db.runAs(REQUEST_ROLE, app.userId('owner'), [insert(app.userId('caller'))]),
    ).rejects.toThrow(/row-level security/);
    // The backend only reads them.
    await expect(app.db.runAs(BACKEND_ROLE, null, [insert(app.userId('caller'))])).rejects.toThrow(
      /permission denied/,
    );
    expect(stream.completed).toBe(false);

    await app.db.runAs(REQUEST_ROLE, app.userId('caller'), [insert(app.userId('caller'))]);
    await stream.until(() => stream.completed);
    expect(stream.finished()?.execution).toMatchObject({
      status: 'FAILED',
      errorMessage: 'cancelled',
    });
    // Once it has ended, not even its caller can record one (nothing left to stop).
    const done = await app.gql(EXECUTE, { input: input() }, { token: caller });
    const ended = done.data?.executeTemplate.execution.id as string;
    expect(done.data?.executeTemplate.execution.status).toBe('SUCCESS');
    const endedId = Buffer.from(ended, 'base64')
      .toString()
      .replace(/^Execution:/, '');
    await expect(
      app.db.runAs(REQUEST_ROLE, app.userId('caller'), [
        sql`INSERT INTO x402_execution_cancellations (execution_id, requested_by) VALUES (${sql.uuid(endedId)}, ${sql.uuid(app.userId('caller'))})`,
      ]),
    ).rejects.toThrow(/row-level security/);
  });
});
