import type { IncomingMessage, Server } from 'node:http';
import { type ExecutionArgs, type ExecutionResult, GraphQLError } from 'graphql';
import { makeServer, type ServerOptions } from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Session } from '../auth/authenticator.ts';
import { apiError, invalidToken } from '../lib/api-errors.ts';
import { DEFAULT_SOCKET_LIMITS, type SocketLimits } from '../lib/limits.ts';
import type { Context } from '../schema/context.ts';
import {
  type Authenticate,
  addressKey,
  authenticationFailure,
  type ServerContext,
  socketViewers,
} from './context.ts';
import { serviceUnavailableIfDatabaseDown } from './database-unavailable.ts';
import { MAX_REQUEST_BODY_BYTES } from './plugins/request-body-limit.ts';
import { clientAddressOf, originAllowed } from './policy.ts';
import { sharedPayloadMarker } from './shared-frames.ts';
import { MAX_TIMER_MS, operationRequest, untilExpiry } from './socket-operation.ts';
import { type SocketExtra, serveSockets } from './ws-sockets.ts';

/** How long close() waits for clients to answer the close frame before cutting them. */
const SOCKET_CLOSE_TIMEOUT_MS = 1000;

/** Close codes (README "Security"): 4403 comes from graphql-ws' own Forbidden. */
export const CLOSE_TOKEN_EXPIRED = 4403;
export const CLOSE_LIFETIME_OVER = 4000;
/** RFC 6455 "Policy Violation". */
export const CLOSE_TOO_MANY_SOCKETS = 1008;

/**
 * graphql-ws on the server's GraphQL endpoint, each operation run through Yoga's envelop (its
 * plugins and context) as in Yoga's graphql-ws example. Returns close(), which ends every socket
 * with 1001 "Going away".
 */
export function serveGraphqlWs(
  server: Server,
  yoga: YogaServerInstance<ServerContext, Context>,
  authenticate: Authenticate,
  options: {
    limits?: Partial<SocketLimits>;
    corsOrigins?: readonly string[];
    trustProxyHops?: number;
  } = {},
) {
  const limits = { ...DEFAULT_SOCKET_LIMITS, ...options.limits };
  const corsOrigins = options.corsOrigins ?? [];
  // The HTTP body limit holds for a message too: ws closes the socket with 1009 past it,
  // before parsing it.
  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: MAX_REQUEST_BODY_BYTES,
    // Browsers send Origin and let any page open a socket: only this site's and allowed ones.
    verifyClient: ({ origin, req }: { origin?: string; req: IncomingMessage }) =>
      originAllowed(origin, req.headers.host, corsOrigins),
  });
  const trustProxyHops = options.trustProxyHops ?? 0;
  const sessions = new WeakMap<WebSocket, Session>();
  const socketsByUser = new Map<string, number>();

  /** Counts the socket against its user, closes it at its token's exp; false when over the cap. */
  function admit(extra: SocketExtra, session: Session): boolean {
    const { socket } = extra;
    // Gone while it authenticated: its close listener would never run.
    if (socket.readyState !== socket.OPEN) return false;
    const userId = session.viewer.id;
    const open = socketsByUser.get(userId) ?? 0;
    if (open >= limits.maxSocketsPerUser) {
      socket.close(
        CLOSE_TOO_MANY_SOCKETS,
        `Too many WebSockets for this user (at most ${limits.maxSocketsPerUser})`,
      );
      return false;
    }
    socketsByUser.set(userId, open + 1);
    extra.userId = userId;
    sessions.set(socket, session);
    // One timer a socket: the token's exp replaces the lifetime's end when it comes first.
    const expiresIn = Math.max(0, session.expiresAt - Date.now());
    if (expiresIn < limits.maxLifetimeMs - (Date.now() - extra.openedAt)) {
      clearTimeout(extra.closeTimer);
      extra.closeTimer = setTimeout(
        () => socket.close(CLOSE_TOKEN_EXPIRED, 'Token expired'),
        Math.min(expiresIn, MAX_TIMER_MS),
      );
    }
    return true;
  }

  /** What a closed socket leaves: its timer and its place in its user's count. */
  function closed(extra: SocketExtra) {
    clearTimeout(extra.closeTimer);
    const { userId } = extra;
    if (userId === null) return;
    const left = (socketsByUser.get(userId) ?? 1) - 1;
    if (left > 0) socketsByUser.set(userId, left);
    else socketsByUser.delete(userId);
  }

  const protocol = makeServer<Record<string, unknown> | undefined, SocketExtra>({
    execute: (args) => (args.rootValue as Enveloped).execute(args),
    subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
    // A result shared by many subscriptions is serialised once (shared-frames.ts).
    onNext: (ctx, _id, _payload, _args, result) =>
      sharedPayloadMarker(ctx.extra.socket, result as ExecutionResult) as FormattedResult,
    onConnect: async (ctx) => {
      try {
        // Clients spell it either way (GraphiQL sends its headers, capitalised).
        const params = ctx.connectionParams ?? {};
        const authorization = params.authorization ?? params.Authorization;
        const session = await authenticate(authorization);
        if (session && !admit(ctx.extra, session)) return false;
        socketViewers.set(ctx.extra, session?.viewer ?? null);
        return true;
      } catch (error) {
        const refused = authenticationFailure(error) ?? serviceUnavailableIfDatabaseDown(error);
        if (!refused) throw error;
        // graphql-ws closes with 4403 Forbidden.
        if (refused.extensions.code === 'UNAUTHENTICATED') return false;
        // The database or the identity provider is down (a first-time user is upserted here):
        // 1013 Try Again Later, a code clients retry on. graphql-ws' own close (4403) that
        // follows is then ignored.
        ctx.extra.socket.close(1013, 'Try again later: the service is unavailable');
        return false;
      }
    },
    onSubscribe: async (ctx, _id, params) => {
      // The socket's token is checked at each operation, not only by the timer at its exp.
      const session = sessions.get(ctx.extra.socket);
      if (session && session.expiresAt <= Date.now()) {
        ctx.extra.socket.close(CLOSE_TOKEN_EXPIRED, 'Token expired');
        return [invalidToken('token expired')];
      }
      // This operation is already counted in ctx.subscriptions.
      if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerSocket) {
        return [
          apiError(
            'TOO_MANY_SUBSCRIPTIONS',
            `This socket already runs ${limits.maxSubscriptionsPerSocket} operations: complete one first.`,
          ),
        ];
      }
      // GraphiQL sends its Headers tab with each operation (extensions.headers), not in
      // connection_init: such a token, verified the same way, speaks for that operation only.
      let viewerKey: object = ctx.extra;
      const headers = (params.extensions as { headers?: Record<string, unknown> } | undefined)
        ?.headers;
      const operationToken = headers?.Authorization ?? headers?.authorization;
      let operationExpiresAt: number | null = null;
      if (operationToken) {
        viewerKey = {};
        try {
          const operationSession = await authenticate(operationToken);
          socketViewers.set(viewerKey, operationSession?.viewer ?? null);
          operationExpiresAt = operationSession?.expiresAt ?? null;
        } catch (error) {
          const refused = authenticationFailure(error) ?? serviceUnavailableIfDatabaseDown(error);
          if (refused) return [refused];
          throw error;
        }
      }
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        ...ctx,
        socketKey: viewerKey,
        clientAddress: ctx.extra.clientAddress,
        params,
        request: operationRequest(ctx.extra.host),
      });
      let document: ReturnType<typeof parse>;
      try {
        // Over the token limit, or not GraphQL: an error for this operation, not a 4500 close.
        document = parse(params.query);
      } catch (error) {
        if (error instanceof GraphQLError) return [error];
        throw error;
      }
      const args = {
        schema,
        operationName: params.operationName,
        document,
        variableValues: params.variables,
        contextValue: await contextFactory(),
        rootValue: {
          execute,
          // A subscription on an operation's own token ends at that token's exp.
          subscribe: operationExpiresAt
            ? async (subscribeArgs: ExecutionArgs) =>
                untilExpiry(await subscribe(subscribeArgs), operationExpiresAt)
            : subscribe,
        },
      };
      const errors = validate(args.schema, args.document);
      return errors.length > 0 ? (errors as GraphQLError[]) : args;
    },
  });
  const keepAlive = serveSockets(
    wsServer,
    protocol,
    (socket, request) => ({
      socket,
      host: request.headers.host ?? 'localhost',
      clientAddress: addressKey(clientAddressOf(request, trustProxyHops)),
      openedAt: Date.now(),
      closeTimer: setTimeout(
        () => socket.close(CLOSE_LIFETIME_OVER, 'Socket lifetime over: reconnect'),
        Math.min(limits.maxLifetimeMs, MAX_TIMER_MS),
      ),
      userId: null,
    }),
    closed,
  );
  const disposable = {
    async dispose() {
      clearInterval(keepAlive);
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) =>
        wsServer.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };

  return async function close(timeoutMs = SOCKET_CLOSE_TIMEOUT_MS) {
    // dispose() closes every socket with 1001 "Going away" and waits for each client's answer;
    // a client that does not answer in time is cut.
    const disposed = disposable.dispose();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      disposed,
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    for (const client of wsServer.clients) client.terminate();
    await disposed;
  };
}

/** Yoga's enveloped execute/subscribe, passed through rootValue as in Yoga's graphql-ws example. */
type Enveloped = {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
};
type OperationResult = ReturnType<NonNullable<ServerOptions['execute']>>;
type FormattedResult = Awaited<ReturnType<NonNullable<ServerOptions['onNext']>>>;
