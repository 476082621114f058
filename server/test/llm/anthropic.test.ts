import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAnthropicModel } from '../../src/llm/anthropic.ts';
import {
  countTokens,
  createOfflineModel,
  type MessagesApiServer,
  startMessagesApiServer,
} from '../../src/llm/offline-messages-api.ts';

const MODEL = 'claude-haiku-4-5';

// Every test drives the real @anthropic-ai/sdk over HTTP against the built-in Messages API server.
describe('Anthropic model through the SDK', () => {
  let server: MessagesApiServer;
  const modelFor = (maxRetries: number, timeoutMs?: number) =>
    createAnthropicModel({ apiKey: 'test-key', baseURL: server.url, maxRetries, timeoutMs });

  beforeEach(async () => {
    server = await startMessagesApiServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('returns the text and the exact token counts the API reported', async () => {
    server.enqueue({
      kind: 'text',
      text: 'Hello from the test server.',
      inputTokens: 11,
      outputTokens: 7,
    });

    const result = await modelFor(0).run({ model: MODEL, maxTokens: 64, prompt: 'Say hello.' });

    expect(result).toEqual({
      ok: true,
      text: 'Hello from the test server.',
      inputTokens: 11,
      outputTokens: 7,
      stopReason: 'end_turn',
    });
    expect(server.requests).toEqual([
      { model: MODEL, maxTokens: 64, prompt: 'Say hello.', stream: true },
    ]);
  });

  it.each([
    [429, 'Anthropic API error 429 rate_limit_error: Rate limited (request-id req_offline_1)'],
    [500, 'Anthropic API error 500 api_error: Internal server error (request-id req_offline_1)'],
    [529, 'Anthropic API error 529 overloaded_error: Overloaded (request-id req_offline_1)'],
  ])('reports HTTP %i with its status and error type, without throwing', async (status, error) => {
    server.enqueue({ kind: 'error', status });

    const result = await modelFor(0).run({ model: MODEL, maxTokens: 64, prompt: 'Hi' });

    expect(result).toEqual({
      ok: false,
      error,
      inputTokens: null,
      outputTokens: null,
      partialText: '',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('lets the SDK retry a 529 (maxRetries: 1) and stops after its retries', async () => {
    server.enqueue({ kind: 'error', status: 529 }, { kind: 'text', text: 'Second try.' });
    const model = modelFor(1);

    const retried = await model.run({ model: MODEL, maxTokens: 64, prompt: 'Hi' });
    expect(retried).toEqual({
      ok: true,
      text: 'Second try.',
      inputTokens: 1,
      outputTokens: 3,
      stopReason: 'end_turn',
    });
    expect(server.requests).toHaveLength(2);

    server.enqueue({ kind: 'error', status: 529 }, { kind: 'error', status: 529 });
    const exhausted = await model.run({ model: MODEL, maxTokens: 64, prompt: 'Hi' });
    expect(exhausted).toMatchObject({
      ok: false,
      error: 'Anthropic API error 529 overloaded_error: Overloaded (request-id req_offline_4)',
    });
    expect(server.requests).toHaveLength(4);
  });

  it('keeps the partial text and the usage seen so far when the stream breaks', async () => {
    server.enqueue({ kind: 'break', text: 'one two three four five', afterChunks: 3 });

    const result = await modelFor(2).run({ model: MODEL, maxTokens: 64, prompt: 'Count to five.' });

    expect(result).toEqual({
      ok: false,
      error: 'stream interrupted after 3 chunks: terminated: other side closed',
      inputTokens: 4, // message_start: Count | to | five | .
      outputTokens: 1, // message_start's count; the break came before message_delta
      partialText: 'one two three ',
    });
    // A stream that has begun is never retried by the SDK.
    expect(server.requests).toHaveLength(1);
  });

  it('reports a request timeout', async () => {
    server.enqueue({ kind: 'delay', ms: 2000 });

    const result = await modelFor(0, 100).run({ model: MODEL, maxTokens: 64, prompt: 'Hi' });

    expect(result).toEqual({
      ok: false,
      error: 'Anthropic API request timed out',
      inputTokens: null,
      outputTokens: null,
      partialText: '',
    });
  });

  it('ends a run at its deadline, retries included, and tells the API to stop', async () => {
    // Each attempt fails after 400 ms with a retryable 529; with the SDK's backoff, the retries
    // would go on for seconds.
    for (let i = 0; i < 3; i++) {
      server.enqueue({ kind: 'delay', ms: 400, after: { kind: 'error', status: 529 } });
    }
    server.enqueue({ kind: 'delay', ms: 10_000 });
    const model = createAnthropicModel({
      apiKey: 'test-key',
      baseURL: server.url,
      maxRetries: 5,
      deadlineMs: 1000,
    });

    const result = await model.run({ model: MODEL, maxTokens: 64, prompt: 'Hi' });

    expect(result).toMatchObject({ ok: false, error: 'run deadline exceeded (1 s)' });
    const attempts = server.requests.length;
    expect(attempts).toBeGreaterThanOrEqual(1);
    // Aborted, not merely abandoned: no attempt starts after the deadline.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(server.requests.length).toBe(attempts);
  });

  it('resolves "cancelled" when the signal aborts, with the usage so far, and closes the connection', async () => {
    server.enqueue({ kind: 'text', text: 'one two three four five six seven', chunkDelayMs: 200 });
    const controller = new AbortController();
    const deltas: string[] = [];
    const run = modelFor(2).run({
      model: MODEL,
      maxTokens: 64,
      prompt: 'Hi',
      signal: controller.signal,
      onText: (delta) => {
        deltas.push(delta);
        if (deltas.length === 2) controller.abort();
      },
    });

    expect(await run).toEqual({
      ok: false,
      cancelled: true,
      error: 'cancelled',
      inputTokens: 1,
      outputTokens: 1, // message_start's count: the real one would have come at the end
      partialText: 'one two ',
    });
    // The server sees its client go away, and no retry follows.
    await vi.waitFor(() => expect(server.replyEnds).toEqual(['client-closed']), { timeout: 2000 });
    expect(server.requests).toHaveLength(1);
  });

  it('aborts a request the server has not answered yet', async () => {
    server.enqueue({ kind: 'delay', ms: 10_000 });
    const controller = new AbortController();
    const run = modelFor(2).run({
      model: MODEL,
      maxTokens: 64,
      prompt: 'Hi',
      signal: controller.signal,
    });
    // Abort once the server holds the request, not after a fixed delay that a busy machine outruns.
    await vi.waitFor(() => expect(server.requests).toHaveLength(1), { timeout: 5000 });
    controller.abort();

    expect(await run).toMatchObject({
      ok: false,
      cancelled: true,
      error: 'cancelled',
      inputTokens: null,
    });
    await vi.waitFor(() => expect(server.replyEnds).toEqual(['client-closed']), { timeout: 2000 });
    expect(server.requests).toHaveLength(1);
  });

  it('hands each delta to onText as it arrives; they join to the text', async () => {
    server.enqueue({ kind: 'text', text: 'slow and steady wins', chunkDelayMs: 50 });
    const arrivals: Array<[string, boolean]> = [];
    const result = await modelFor(0).run({
      model: MODEL,
      maxTokens: 64,
      prompt: 'Hi',
      onText: (delta) => arrivals.push([delta, server.replyEnds[0] !== undefined]),
    });

    // Each before the server had written the rest (the last one's reply ends right after it).
    expect(arrivals.map(([delta]) => delta)).toEqual(['slow ', 'and ', 'steady ', 'wins']);
    expect(arrivals.slice(0, 3).map(([, ended]) => ended)).toEqual([false, false, false]);
    expect(result).toMatchObject({ ok: true, text: 'slow and steady wins', outputTokens: 4 });
    expect(server.replyEnds).toEqual(['complete']);
  });
});

describe('offline model', () => {
  it('counts words and punctuation as tokens', () => {
    expect(countTokens("Hello, world! It's 2024.")).toBe(9);
    expect(countTokens('  ')).toBe(0);
  });

  it('says it is offline, reports honest token counts, and never quotes the prompt', async () => {
    const { model, server } = await createOfflineModel();
    try {
      const prompt = 'Summarise: the quick brown fox jumps over the lazy dog.';
      const result = await model.run({ model: MODEL, maxTokens: 200, prompt });

      const text =
        '[offline model: ANTHROPIC_API_KEY is not set, this is not Claude] ' +
        'Your prompt had 10 words (12 tokens).';
      expect(result).toEqual({
        ok: true,
        text,
        inputTokens: 12,
        outputTokens: 24, // notice 14 + "Your prompt had 10 words (12 tokens)." 10
        stopReason: 'end_turn',
      });
      expect([countTokens(prompt), countTokens(text)]).toEqual([12, 24]);
      // The prompt holds the owner's text: nothing of it comes back (issue 12).
      expect(text).not.toMatch(/Summarise|fox|lazy/);
      expect(model.description).toBe(`offline (built-in Messages API on ${server.url})`);

      const short = await model.run({ model: MODEL, maxTokens: 5, prompt });
      expect(short).toEqual({
        ok: true,
        text: '[offline model: ANTHROPIC_API_KEY',
        inputTokens: 12,
        outputTokens: 5,
        stopReason: 'max_tokens',
      });
    } finally {
      await server.close();
    }
  });
});
