import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAnthropicModel } from './anthropic.ts';
import type { ModelClient } from './types.ts';

export type MessagesBehaviour =
  | { kind: 'offline' }
  | { kind: 'text'; text: string; inputTokens?: number; outputTokens?: number }
  | { kind: 'error'; status: number; type?: string; message?: string }
  | { kind: 'break'; text: string; afterChunks: number }
  | { kind: 'delay'; ms: number; after?: MessagesBehaviour };

export interface ReceivedRequest {
  model: string;
  maxTokens: number;
  prompt: string;
  stream: boolean;
}

export interface MessagesApiServer {
  readonly url: string;
  enqueue(...behaviours: MessagesBehaviour[]): void;
  setDefault(behaviour: MessagesBehaviour): void;
  readonly requests: ReadonlyArray<ReceivedRequest>;
  close(): Promise<void>;
}

interface Reply {
  text: string;
  inputTokens: number;
  outputTokens: number;
  stopReason: string;
}

const TOKEN = /[\p{L}\p{N}_]+|[^\p{L}\p{N}_\s]/gu;

/** The offline tokenizer: every run of letters/digits is one token, every other symbol another. */
export function countTokens(text: string): number {
  return text.match(TOKEN)?.length ?? 0;
}

const OFFLINE_NOTICE = '[offline model: ANTHROPIC_API_KEY is not set, this is not Claude] ';

function offlineReply(prompt: string, maxTokens: number): Reply {
  const words = prompt.split(/\s+/).filter(Boolean);
  const flat = words.join(' ');
  const excerpt = flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
  let text = `${OFFLINE_NOTICE}You asked (${words.length} words): ${excerpt}`;
  let stopReason = 'end_turn';
  // Like the real API, stop at max_tokens, so usage never exceeds what the caller allowed.
  const cut = [...text.matchAll(TOKEN)][maxTokens];
  if (cut) {
    text = text.slice(0, cut.index).trimEnd();
    stopReason = 'max_tokens';
  }
  return { text, inputTokens: countTokens(prompt), outputTokens: countTokens(text), stopReason };
}

const ERROR_DEFAULTS: Record<number, [type: string, message: string]> = {
  400: ['invalid_request_error', 'Invalid request'],
  401: ['authentication_error', 'invalid x-api-key'],
  404: ['not_found_error', 'Not found'],
  429: ['rate_limit_error', 'Rate limited'],
  500: ['api_error', 'Internal server error'],
  529: ['overloaded_error', 'Overloaded'],
};

export interface MessagesApiServerOptions {
  port?: number;
  host?: string;
  defaultBehaviour?: MessagesBehaviour;
  /** Answers 529 overloaded to any prompt containing this text: failures on demand (e2e, demos). */
  failWhenPromptIncludes?: string;
}

export async function startMessagesApiServer(
  options: MessagesApiServerOptions = {},
): Promise<MessagesApiServer> {
  const queue: MessagesBehaviour[] = [];
  const requests: ReceivedRequest[] = [];
  let fallback: MessagesBehaviour = options.defaultBehaviour ?? { kind: 'offline' };
  let count = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const n = ++count;
    res.setHeader('request-id', `req_offline_${n}`);
    const body = await readBody(req);
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/v1/messages') {
      return sendError(res, 404, 'not_found_error', `${req.method} ${req.url} is not served here`);
    }
    const request = parseRequest(body);
    if (!request) {
      return sendError(res, 400, 'invalid_request_error', 'expected model, max_tokens, messages');
    }
    requests.push(request);
    const failOnDemand =
      options.failWhenPromptIncludes && request.prompt.includes(options.failWhenPromptIncludes);
    const behaviour: MessagesBehaviour = failOnDemand
      ? { kind: 'error', status: 529 }
      : (queue.shift() ?? fallback);
    await respond(res, request, behaviour, `msg_offline_${n}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    requests,
    enqueue: (...behaviours) => queue.push(...behaviours),
    setDefault: (behaviour) => {
      fallback = behaviour;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets (the SDK pools them) would otherwise hold close() open for seconds.
        server.closeAllConnections();
      }),
  };
}

/** The offline default: a model served by the built-in server, through the same SDK path as Claude. */
export async function createOfflineModel(
  options: Pick<MessagesApiServerOptions, 'failWhenPromptIncludes'> = {},
): Promise<{
  model: ModelClient;
  server: MessagesApiServer;
}> {
  const server = await startMessagesApiServer(options);
  const model = createAnthropicModel({
    apiKey: 'offline',
    baseURL: server.url,
    maxRetries: 0,
    description: `offline (built-in Messages API on ${server.url})`,
  });
  return { model, server };
}

async function respond(
  res: ServerResponse,
  request: ReceivedRequest,
  behaviour: MessagesBehaviour,
  messageId: string,
): Promise<void> {
  const exact = (text: string, inputTokens?: number, outputTokens?: number): Reply => ({
    text,
    inputTokens: inputTokens ?? countTokens(request.prompt),
    outputTokens: outputTokens ?? countTokens(text),
    stopReason: 'end_turn',
  });
  switch (behaviour.kind) {
    case 'offline':
      return reply(res, request, messageId, offlineReply(request.prompt, request.maxTokens));
    case 'text': {
      const { text, inputTokens, outputTokens } = behaviour;
      return reply(res, request, messageId, exact(text, inputTokens, outputTokens));
    }
    case 'break':
      return reply(res, request, messageId, exact(behaviour.text), behaviour.afterChunks);
    case 'error': {
      const [type, message] = ERROR_DEFAULTS[behaviour.status] ?? ['api_error', 'Error'];
      return sendError(res, behaviour.status, behaviour.type ?? type, behaviour.message ?? message);
    }
    case 'delay':
      if (await waitUnlessClosed(res, behaviour.ms)) {
        await respond(res, request, behaviour.after ?? { kind: 'offline' }, messageId);
      }
  }
}

function reply(
  res: ServerResponse,
  request: ReceivedRequest,
  id: string,
  answer: Reply,
  breakAfter?: number,
): void {
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
    if (breakAfter !== undefined) return void res.destroy();
    const content = [{ type: 'text', text: answer.text, citations: null }];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(message(content, answer.stopReason, answer.outputTokens)));
    return;
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
    send('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
  }
  if (breakAfter !== undefined) {
    // Let the client read the deltas first: a reset can make it drop data not yet read.
    res.write(': breaking the connection\n\n', () => setTimeout(() => res.destroy(), 20));
    return;
  }
  send('content_block_stop', { index: 0 });
  send('message_delta', {
    delta: { stop_reason: answer.stopReason, stop_sequence: null },
    usage: { output_tokens: answer.outputTokens },
  });
  send('message_stop', {});
  res.end();
}

/** One delta per word with its trailing space: a few tokens each, and they join back exactly. */
function textChunks(text: string): string[] {
  return text.match(/^\s+|\S+\s*/g) ?? [];
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  // retry-after-ms (which the SDK honours before retry-after) keeps SDK retries fast.
  res.writeHead(status, { 'content-type': 'application/json', 'retry-after-ms': '10' });
  res.end(JSON.stringify({ type: 'error', error: { type, message } }));
}

function parseRequest(raw: string): ReceivedRequest | null {
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves false, early, if the client disconnects: the delay must not outlive the request. */
function waitUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
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
