import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
} from '@anthropic-ai/sdk';
import type { ModelClient, ModelRequest, ModelResult } from './types.ts';

export interface AnthropicModelOptions {
  apiKey: string;
  baseURL?: string;
  maxRetries?: number;
  timeoutMs?: number;
  /**
   * The whole call's hard limit, retries and streaming included: past it the request is aborted
   * and the run fails "run deadline exceeded", with the tokens used so far.
   */
  deadlineMs?: number;
  description?: string;
}

export function createAnthropicModel(options: AnthropicModelOptions): ModelClient {
  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    maxRetries: options.maxRetries ?? 2,
    timeout: options.timeoutMs,
  });
  return {
    description: options.description ?? `Anthropic Messages API (${client.baseURL})`,
    run: (request) => run(client, request, options.deadlineMs),
  };
}

async function run(
  client: Anthropic,
  request: ModelRequest,
  deadlineMs: number | undefined,
): Promise<ModelResult> {
  const { model, maxTokens, prompt } = request;
  const deadline = deadlineMs === undefined ? undefined : AbortSignal.timeout(deadlineMs);
  const signals = [request.signal, deadline].filter((signal) => signal !== undefined);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  let text = '';
  let chunks = 0;
  let connected = false;
  // The snapshot's usage starts at message_start and is updated by each message_delta; kept here
  // because the stream forgets its snapshot when it ends without a message_stop.
  let usage: Anthropic.Usage | undefined;
  const stream = client.messages
    .stream(
      { model, max_tokens: maxTokens, messages: [{ role: 'user', content: prompt }] },
      { signal },
    )
    .on('connect', () => {
      connected = true;
    })
    .on('streamEvent', (_event, snapshot) => {
      usage = snapshot.usage;
    })
    .on('text', (delta) => {
      text += delta;
      chunks++;
      request.onText?.(delta);
    });
  try {
    const message = await stream.finalMessage();
    return {
      ok: true,
      text,
      inputTokens: message.usage.input_tokens,
      outputTokens: message.usage.output_tokens,
      stopReason: message.stop_reason,
    };
  } catch (error) {
    // The caller stopped the run: the request is aborted (the API sees the connection close).
    const cancelled = request.signal?.aborted === true;
    const overDeadline = !cancelled && deadline?.aborted && deadlineMs !== undefined;
    return {
      ok: false,
      ...(cancelled ? { cancelled: true } : {}),
      error: cancelled
        ? CANCELLED
        : overDeadline
          ? `run deadline exceeded (${deadlineMs / 1000} s)`
          : describeFailure(error, connected, chunks),
      inputTokens: usage?.input_tokens ?? null,
      outputTokens: usage?.output_tokens ?? null,
      partialText: text,
    };
  }
}

/** The error of a run its caller stopped. */
export const CANCELLED = 'cancelled';

function describeFailure(error: unknown, connected: boolean, chunks: number): string {
  // An HTTP error status: the SDK already retried it if it was retryable, and no stream began.
  if (error instanceof APIError && error.status !== undefined) return describeApiError(error);
  if (error instanceof APIConnectionTimeoutError) return 'Anthropic API request timed out';
  if (error instanceof APIConnectionError) {
    return `could not reach the Anthropic API: ${describeCauses(error.cause ?? error)}`;
  }
  // A mid-stream `event: error` arrives as an APIError without status; anything else is the
  // transport failing (e.g. undici's "terminated: other side closed").
  const detail =
    error instanceof APIError && error.type ? describeApiError(error) : describeCauses(error);
  return connected ? `stream interrupted after ${chunks} chunks: ${detail}` : detail;
}

function describeApiError(error: APIError): string {
  const status = error.status === undefined ? '' : ` ${error.status}`;
  const requestId = error.requestID ? ` (request-id ${error.requestID})` : '';
  const message = error.apiMessage ?? error.message;
  return `Anthropic API error${status} ${error.type ?? 'unknown_error'}: ${message}${requestId}`;
}

function describeCauses(error: unknown): string {
  const messages: string[] = [];
  for (let e = error; e instanceof Error && messages.length < 5; e = e.cause) {
    if (e.message && e.message !== messages.at(-1)) messages.push(e.message);
  }
  return messages.join(': ') || String(error);
}
