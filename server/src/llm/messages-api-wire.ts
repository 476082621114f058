/**
 * The Anthropic Messages API on the wire, as the offline server speaks it: requests read, replies
 * written as JSON or as the streaming SSE events (message_start … message_stop), errors in the
 * API's shape. What to answer is decided in offline-messages-api.ts.
 */
import type { ServerResponse } from 'node:http';

export interface ReceivedRequest {
  model: string;
  maxTokens: number;
  prompt: string;
  stream: boolean;
}

export interface Reply {
  text: string;
  inputTokens: number;
  outputTokens: number;
  stopReason: string;
}

export const ERROR_DEFAULTS: Record<number, [type: string, message: string]> = {
  400: ['invalid_request_error', 'Invalid request'],
  401: ['authentication_error', 'invalid x-api-key'],
  404: ['not_found_error', 'Not found'],
  429: ['rate_limit_error', 'Rate limited'],
  500: ['api_error', 'Internal server error'],
  529: ['overloaded_error', 'Overloaded'],
};

/** How a streamed reply is paced and cut. */
export interface ReplyPacing {
  /** Stop after this many text deltas and break the connection (a stream that dies mid-way). */
  breakAfter?: number;
  /** Wait this long before each text delta: a model that writes slowly. */
  chunkDelayMs?: number;
  /** Called as each text delta is written (the benchmark times deltas from the model's side). */
  onDelta?: () => void;
}

/**
 * Writes the reply; resolves with how it ended: "complete", "broken" (breakAfter), or
 * "client-closed" (the client closed the connection first, e.g. an aborted request).
 */
export async function writeReply(
  res: ServerResponse,
  request: ReceivedRequest,
  id: string,
  answer: Reply,
  pacing: ReplyPacing = {},
): Promise<ReplyEnd> {
  const { breakAfter, chunkDelayMs = 0 } = pacing;
  const message = (content: unknown[], stopReason: string | null, outputTokens: number) => ({
    id,
    type: 'message',
    role: 'assistant',
    model: request.model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: {
      input_tokens: answer.inputTokens,
      output_tokens: outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      service_tier: 'standard',
    },
  });
  if (!request.stream) {
    if (breakAfter !== undefined) {
      res.destroy();
      return 'broken';
    }
    const content = [{ type: 'text', text: answer.text, citations: null }];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(message(content, answer.stopReason, answer.outputTokens)));
    return 'complete';
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (type: string, data: object) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  // Anthropic reports a token or so of output at message_start; the real count comes at the end.
  send('message_start', { message: message([], null, Math.min(1, answer.outputTokens)) });
  send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  send('ping', {});
  const chunks = textChunks(answer.text);
  for (const text of chunks.slice(0, breakAfter)) {
    if (chunkDelayMs > 0 && !(await waitUnlessClosed(res, chunkDelayMs))) return 'client-closed';
    if (res.destroyed) return 'client-closed';
    send('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
    pacing.onDelta?.();
  }
  if (breakAfter !== undefined) {
    // Let the client read the deltas first: a reset can make it drop data not yet read.
    res.write(': breaking the connection\n\n', () => setTimeout(() => res.destroy(), 20));
    return 'broken';
  }
  send('content_block_stop', { index: 0 });
  send('message_delta', {
    delta: { stop_reason: answer.stopReason, stop_sequence: null },
    usage: { output_tokens: answer.outputTokens },
  });
  send('message_stop', {});
  res.end();
  return 'complete';
}

export type ReplyEnd = 'complete' | 'broken' | 'client-closed';

/** Resolves false, early, if the client disconnects: a delay must not outlive the request. */
export function waitUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    res.once('close', onClose);
  });
}

/** One delta per word with its trailing space: a few tokens each, and they join back exactly. */
function textChunks(text: string): string[] {
  return text.match(/^\s+|\S+\s*/g) ?? [];
}

export function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
): void {
  // retry-after-ms (which the SDK honours before retry-after) keeps SDK retries fast.
  res.writeHead(status, { 'content-type': 'application/json', 'retry-after-ms': '10' });
  res.end(JSON.stringify({ type: 'error', error: { type, message } }));
}

export function parseRequest(raw: string): ReceivedRequest | null {
  try {
    const body = JSON.parse(raw);
    const content = body?.messages?.at(-1)?.content;
    const prompt =
      typeof content === 'string'
        ? content
        : Array.isArray(content)
          ? content.flatMap((block) => (block?.type === 'text' ? [block.text] : [])).join('\n')
          : null;
    if (typeof body.model !== 'string' || !Number.isInteger(body.max_tokens) || prompt === null) {
      return null;
    }
    return { model: body.model, maxTokens: body.max_tokens, prompt, stream: body.stream === true };
  } catch {
    return null;
  }
}
