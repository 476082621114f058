import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAnthropicModel } from './anthropic.ts';
import {
  ERROR_DEFAULTS,
  parseRequest,
  type ReceivedRequest,
  type Reply,
  type ReplyEnd,
  sendError,
  waitUnlessClosed,
  writeReply,
} from './messages-api-wire.ts';
import type { ModelClient } from './types.ts';

/** `chunkDelayMs`: a slow model, waiting that long before each text delta (one per word). */
export type MessagesBehaviour =
  | { kind: 'offline'; chunkDelayMs?: number }
  | {
      kind: 'text';
      text: string;
      inputTokens?: number;
      outputTokens?: number;
      chunkDelayMs?: number;
    }
  | { kind: 'error'; status: number; type?: string; message?: string }
  | { kind: 'break'; text: string; afterChunks: number; chunkDelayMs?: number }
  | { kind: 'delay'; ms: number; after?: MessagesBehaviour };

export interface MessagesApiServer {
  readonly url: string;
  enqueue(...behaviours: MessagesBehaviour[]): void;
  setDefault(behaviour: MessagesBehaviour): void;
  readonly requests: ReadonlyArray<ReceivedRequest>;
  /** How each reply ended, by request (index as in `requests`); absent while it is being sent. */
  readonly replyEnds: ReadonlyArray<ReplyEnd | undefined>;
  /** When each reply's first and last text deltas were written (performance.now()), by request. */
  readonly deltaTimes: ReadonlyArray<{ first?: number; last?: number }>;
  close(): Promise<void>;
}

const TOKEN = /[\p{L}\p{N}_]+|[^\p{L}\p{N}_\s]/gu;

/** The offline tokenizer: every run of letters/digits is one token, every other symbol another. */
export function countTokens(text: string): number {
  return text.match(TOKEN)?.length ?? 0;
}

const OFFLINE_NOTICE = '[offline model: ANTHROPIC_API_KEY is not set, this is not Claude] ';

/**
 * The stand-in's answer: what it received, in numbers only. It never quotes the prompt, which
 * holds the template's owner-only text: a caller must not read it back through a run.
 */
function offlineReply(prompt: string, maxTokens: number): Reply {
  const words = prompt.split(/\s+/).filter(Boolean).length;
  const inputTokens = countTokens(prompt);
  let text = `${OFFLINE_NOTICE}Your prompt had ${words} words (${inputTokens} tokens).`;
  let stopReason = 'end_turn';
  // Like the real API, stop at max_tokens, so usage never exceeds what the caller allowed.
  const cut = [...text.matchAll(TOKEN)][maxTokens];
  if (cut) {
    text = text.slice(0, cut.index).trimEnd();
    stopReason = 'max_tokens';
  }
  return { text, inputTokens, outputTokens: countTokens(text), stopReason };
}

export interface MessagesApiServerOptions {
  port?: number;
  host?: string;
  defaultBehaviour?: MessagesBehaviour;
  /** Answers 529 overloaded to any prompt containing this text: failures on demand (e2e, demos). */
  failWhenPromptIncludes?: string;
  /**
   * Streams its answer to any prompt containing this text over about SLOW_REPLY_MS: a run to
   * watch while it runs (its text grows word by word).
   */
  slowWhenPromptIncludes?: string;
}

/** How long the offline model takes over a prompt with `slowWhenPromptIncludes`. */
export const SLOW_REPLY_MS = 6000;
/** Of which the wait before its first word. */
const SLOW_FIRST_WORD_MS = 500;

export async function startMessagesApiServer(
  options: MessagesApiServerOptions = {},
): Promise<MessagesApiServer> {
  const queue: MessagesBehaviour[] = [];
  const requests: ReceivedRequest[] = [];
  const replyEnds: (ReplyEnd | undefined)[] = [];
  const deltaTimes: { first?: number; last?: number }[] = [];
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
    const index = requests.push(request) - 1;
    const failOnDemand =
      options.failWhenPromptIncludes && request.prompt.includes(options.failWhenPromptIncludes);
    const slowOnDemand =
      options.slowWhenPromptIncludes && request.prompt.includes(options.slowWhenPromptIncludes);
    const behaviour: MessagesBehaviour = failOnDemand
      ? { kind: 'error', status: 529 }
      : slowOnDemand
        ? slowOffline(request)
        : (queue.shift() ?? fallback);
    const times: { first?: number; last?: number } = {};
    deltaTimes[index] = times;
    const onDelta = () => {
      times.last = performance.now();
      times.first ??= times.last;
    };
    replyEnds[index] = await respond(res, request, behaviour, `msg_offline_${n}`, onDelta);
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
    replyEnds,
    deltaTimes,
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
  options: Pick<MessagesApiServerOptions, 'failWhenPromptIncludes' | 'slowWhenPromptIncludes'> & {
    deadlineMs?: number;
  } = {},
): Promise<{
  model: ModelClient;
  server: MessagesApiServer;
}> {
  const server = await startMessagesApiServer(options);
  const model = createAnthropicModel({
    apiKey: 'offline',
    baseURL: server.url,
    maxRetries: 0,
    deadlineMs: options.deadlineMs,
    description: `offline (built-in Messages API on ${server.url})`,
  });
  return { model, server };
}

/** The offline answer, its words spread over SLOW_REPLY_MS after a first wait. */
function slowOffline(request: ReceivedRequest): MessagesBehaviour {
  const words = offlineReply(request.prompt, request.maxTokens).text.split(/\s+/).length;
  const chunkDelayMs = Math.max(1, Math.floor((SLOW_REPLY_MS - SLOW_FIRST_WORD_MS) / words));
  return { kind: 'delay', ms: SLOW_FIRST_WORD_MS, after: { kind: 'offline', chunkDelayMs } };
}

async function respond(
  res: ServerResponse,
  request: ReceivedRequest,
  behaviour: MessagesBehaviour,
  messageId: string,
  onDelta?: () => void,
): Promise<ReplyEnd> {
  const exact = (text: string, inputTokens?: number, outputTokens?: number): Reply => ({
    text,
    inputTokens: inputTokens ?? countTokens(request.prompt),
    outputTokens: outputTokens ?? countTokens(text),
    stopReason: 'end_turn',
  });
  switch (behaviour.kind) {
    case 'offline': {
      const reply = offlineReply(request.prompt, request.maxTokens);
      return writeReply(res, request, messageId, reply, { ...behaviour, onDelta });
    }
    case 'text': {
      const { text, inputTokens, outputTokens } = behaviour;
      const reply = exact(text, inputTokens, outputTokens);
      return writeReply(res, request, messageId, reply, { ...behaviour, onDelta });
    }
    case 'break':
      return writeReply(res, request, messageId, exact(behaviour.text), {
        breakAfter: behaviour.afterChunks,
        chunkDelayMs: behaviour.chunkDelayMs,
        onDelta,
      });
    case 'error': {
      const [type, message] = ERROR_DEFAULTS[behaviour.status] ?? ['api_error', 'Error'];
      sendError(res, behaviour.status, behaviour.type ?? type, behaviour.message ?? message);
      return 'complete';
    }
    case 'delay':
      if (!(await waitUnlessClosed(res, behaviour.ms))) return 'client-closed';
      return respond(res, request, behaviour.after ?? { kind: 'offline' }, messageId, onDelta);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
