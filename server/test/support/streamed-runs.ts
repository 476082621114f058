import type { Client } from 'graphql-ws';
import type { GraphQLResponse } from './subscription-results.ts';

/** The runTemplate selection the streamed-run tests read, as an integrator writes it. */
export const RUN_STREAMED = /* GraphQL */ `
  subscription Run($input: ExecuteTemplateInput!) {
    runTemplate(input: $input) {
      __typename
      ... on ExecutionStarted { execution { id status createdAt } }
      ... on ExecutionOutputDelta { text }
      ... on ExecutionFinished {
        output
        paymentResponse
        execution {
          id status errorMessage inputTokens outputTokens amountPaid network payerAddress
          paymentSignature paymentTransaction executionTimeMs
        }
      }
    }
  }
`;

export type StreamEvent = Record<string, any> & { __typename: string };

/** One subscription's events as they arrive, each with what the caller's `observe` saw then. */
export function streamOverWs<Seen = undefined>(
  client: Client,
  input: Record<string, unknown>,
  observe: () => Seen = () => undefined as Seen,
) {
  const events: Array<{ event: StreamEvent; seen: Seen }> = [];
  const errors: unknown[] = [];
  let completed = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const unsubscribe = client.subscribe<{ runTemplate: StreamEvent }>(
    { query: RUN_STREAMED, variables: { input } },
    {
      next: (result) => {
        const { data, errors: resultErrors } = result as GraphQLResponse<{
          runTemplate: StreamEvent;
        }>;
        if (resultErrors) errors.push(...resultErrors);
        if (data?.runTemplate) events.push({ event: data.runTemplate, seen: observe() });
        notify();
      },
      error: (error) => {
        // graphql-ws reports a refused operation as the array of its GraphQL errors.
        errors.push(...(Array.isArray(error) ? error : [error]));
        notify();
      },
      complete: () => {
        completed = true;
        notify();
      },
    },
  );
  return {
    events,
    errors,
    unsubscribe,
    get completed() {
      return completed;
    },
    /** Resolves once `predicate` holds (or the stream ended), or rejects after `ms`. */
    async until(predicate: () => boolean, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!predicate()) {
        if (completed || errors.length > 0) return;
        if (Date.now() > deadline) throw new Error(`timed out; events: ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
    deltas: () => events.filter(({ event }) => event.__typename === 'ExecutionOutputDelta'),
    finished: () =>
      events.find(({ event }) => event.__typename === 'ExecutionFinished')?.event ?? null,
  };
}

/** Reads a GraphQL-over-SSE response (Yoga's distinct-connections mode): each `next` payload. */
export async function* sseResults(response: Response): AsyncGenerator<GraphQLResponse> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const lines = block.split('\n');
      const event = lines
        .find((line) => line.startsWith('event:'))
        ?.slice(6)
        .trim();
      const data = lines
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n');
      if (event === 'complete') return;
      if (event === 'next' && data) yield JSON.parse(data);
    }
  }
}

/** POSTs runTemplate over HTTP asking for server-sent events, as curl or an SSE client does. */
export function runOverSse(
  url: string,
  input: Record<string, unknown>,
  {
    token,
    headers = {},
    signal,
  }: { token?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
  fetchImpl: typeof fetch = fetch,
) {
  return fetchImpl(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query: RUN_STREAMED, variables: { input } }),
    signal,
  });
}
