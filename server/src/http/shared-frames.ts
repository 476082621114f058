import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';

/**
 * One serialisation per shared result. graphql-ws stringifies every `next` message for every
 * socket, though a live event's result object is shared by every subscription that receives it
 * (row-results.ts, shared-stream.ts) and a `next` frame differs between them only by its `id`.
 * So graphql-ws's onNext hook hands it a small marker as the payload, and the socket's send
 * (ws-sockets.ts) puts the result's JSON, serialised once, where the marker is. Node 20 has no
 * JSON.rawJSON that would let JSON.stringify embed it.
 */
const payloadJson = new WeakMap<object, string>();

/** Never in a serialised GraphQL result: response keys cannot contain `$`, strings escape `"`. */
const MARKER_PREFIX = '{"$sharedPayload":';
/** graphql-ws writes `payload` last: a marked message ends with the marker and its own `}`. */
const MARKED_END = '}}';

/** Payloads waiting for their marked message, per socket (a socket has several operations). */
const waiting = new WeakMap<WebSocket, Map<number, string>>();
let nextMarker = 0;

/** The JSON of a result (without errors), serialised on its first use only. */
export function serialisedPayload(result: ExecutionResult): string {
  let json = payloadJson.get(result);
  if (json === undefined) {
    json = JSON.stringify(result);
    payloadJson.set(result, json);
  }
  return json;
}

/**
 * For graphql-ws's onNext: a marker to send as the payload instead of `result` (undefined: send
 * `result` as graphql-ws does, e.g. a result with errors, which graphql-ws formats itself).
 */
export function sharedPayloadMarker(
  socket: WebSocket,
  result: ExecutionResult,
): object | undefined {
  if (result.errors || socket.readyState !== socket.OPEN) return undefined;
  let payloads = waiting.get(socket);
  if (!payloads) {
    payloads = new Map();
    waiting.set(socket, payloads);
  }
  const marker = ++nextMarker;
  payloads.set(marker, serialisedPayload(result));
  return { $sharedPayload: marker };
}

/** `message` as it goes out on `socket`: a marked message with its payload in place (above). */
export function withSharedPayload(socket: WebSocket, message: string): string {
  if (!message.endsWith(MARKED_END)) return message;
  const at = message.lastIndexOf(MARKER_PREFIX);
  if (at < 0) return message;
  const marker = Number(message.slice(at + MARKER_PREFIX.length, -MARKED_END.length));
  const payloads = waiting.get(socket);
  const json = payloads?.get(marker);
  if (json === undefined) return message;
  payloads?.delete(marker);
  return `${message.slice(0, at)}${json}}`;
}
