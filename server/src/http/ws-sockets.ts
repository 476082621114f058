import type { IncomingMessage } from 'node:http';
import {
  CloseCode,
  DEPRECATED_GRAPHQL_WS_PROTOCOL,
  handleProtocols,
  type makeServer,
} from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { withSharedPayload } from './shared-frames.ts';

/** graphql-ws/use/ws's keep-alive: a ping this often, and the socket is cut without a pong. */
const KEEP_ALIVE_MS = 12_000;

/**
 * What graphql-ws keeps of a socket as `ctx.extra` for its whole life: what its operations need
 * of the upgrade request, not the request itself (~1.3 KiB a socket, graphql-ws/use/ws keeps it).
 */
export interface SocketExtra {
  socket: WebSocket;
  host: string;
  /** The per-IP limits' key (context.ts), from the peer and trusted X-Forwarded-For hops. */
  clientAddress: string | null;
  /** Closes the socket at the end of its lifetime or at its token's exp, whichever is first. */
  closeTimer: NodeJS.Timeout;
  openedAt: number;
  /** The user it is counted against (admit), once authenticated. */
  userId: string | null;
}

/**
 * graphql-ws/use/ws's wiring of graphql-ws to `ws` (protocol choice, errors, keep-alive, close),
 * with what thousands of idle sockets keep made small: `extra` is made by `opened` from the
 * upgrade request instead of being the request itself; the message handler does not keep each
 * message's Buffer in a frame suspended for as long as the operation it started runs; one close
 * listener a socket (`closed` with its extra) and one keep-alive sweep for all, not a timer each.
 * Returns the sweep's interval, to clear.
 */
export function serveSockets(
  wsServer: WebSocketServer,
  protocol: ReturnType<typeof makeServer<Record<string, unknown> | undefined, SocketExtra>>,
  opened: (socket: WebSocket, request: IncomingMessage) => SocketExtra,
  closed: (extra: SocketExtra) => void,
) {
  const isProd = process.env.NODE_ENV === 'production';
  const internalError = (socket: WebSocket, error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    socket.close(
      CloseCode.InternalServerError,
      isProd || message.length >= 124 ? 'Internal server error' : message,
    );
  };
  // As graphql-ws/use/ws: a ping every KEEP_ALIVE_MS; a socket that has not answered the last
  // one by the next sweep is cut.
  const awaitingPong = new WeakSet<WebSocket>();
  const keepAlive = setInterval(() => {
    for (const socket of wsServer.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      if (awaitingPong.has(socket)) {
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  }, KEEP_ALIVE_MS);
  keepAlive.unref();
  // Listeners shared by every socket (`this` is the socket), not closures made for each.
  function onPong(this: WebSocket) {
    awaitingPong.delete(this);
  }
  function onError(this: WebSocket, error: Error) {
    console.error('Internal error emitted on a WebSocket socket.', error);
    internalError(this, error);
  }
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.once('error', (error) => {
    console.error('Internal error emitted on the WebSocket server.', error);
    for (const client of wsServer.clients) internalError(client, error);
  });
  wsServer.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const extra = opened(socket, request);
    socket.on('error', onError);
    socket.on('pong', onPong);
    const closedProtocol = protocol.opened(
      {
        protocol: socket.protocol,
        send(data) {
          return new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            // A result shared by many subscriptions is serialised once (shared-frames.ts).
            socket.send(withSharedPayload(socket, data), (error) =>
              error ? reject(error) : resolve(),
            );
          });
        },
        close(code, reason) {
          socket.close(code, reason);
        },
        onMessage(handle) {
          socket.on('message', (data) => {
            handle(String(data)).catch((error) => {
              console.error('Internal error occurred during message handling.', error);
              internalError(socket, error);
            });
          });
        },
      },
      extra,
    );
    socket.on('close', (code, reason) => {
      closed(extra);
      if (
        !isProd &&
        code === CloseCode.SubprotocolNotAcceptable &&
        socket.protocol === DEPRECATED_GRAPHQL_WS_PROTOCOL
      )
        console.warn(
          `Client provided the unsupported and deprecated subprotocol "${socket.protocol}" used by subscriptions-transport-ws.`,
        );
      // It rejects when an operation's iterator fails to end: logged, never unhandled.
      closedProtocol(code, String(reason)).catch((error) =>
        console.error('Internal error occurred while closing a WebSocket.', error),
      );
    });
  });
  return keepAlive;
}
