import type { IncomingMessage, Server } from 'node:http';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { AuthError } from '../auth/authenticator.ts';
import { invalidToken } from '../lib/api-errors.ts';
import type { Context } from '../schema/context.ts';
import { type Authenticate, type ServerContext, socketViewers } from './context.ts';
import { serviceUnavailableIfDatabaseDown } from './database-unavailable.ts';
import { originAllowed } from './policy.ts';

/** How long close() waits for clients to answer the close frame before cutting them. */
const SOCKET_CLOSE_TIMEOUT_MS = 1000;

/**
 * graphql-ws on the server's GraphQL endpoint, each operation run through Yoga's envelop (its
 * plugins and context) as in Yoga's graphql-ws example. Returns close(), which ends every socket
 * with 1001 "Going away".
 */
export function serveGraphqlWs(
  server: Server,
  yoga: YogaServerInstance<ServerContext, Context>,
  authenticate: Authenticate,
  corsOrigins: readonly string[] = [],
) {
  const wsServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    // Browsers send Origin and let any page open a socket: only this site's and allowed ones.
    verifyClient: ({ origin, req }: { origin?: string; req: IncomingMessage }) =>
      originAllowed(origin, req.headers.host, corsOrigins),
  });
  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      onConnect: async (ctx) => {
        try {
          // Clients spell it either way (GraphiQL sends its headers, capitalised).
          const params = ctx.connectionParams ?? {};
          const authorization = params.authorization ?? params.Authorization;
          socketViewers.set(ctx.extra, await authenticate(authorization));
          return true;
        } catch (error) {
          if (error instanceof AuthError) return false; // graphql-ws closes with 4403 Forbidden
          if (!serviceUnavailableIfDatabaseDown(error)) throw error;
          // The database is down (a first-time user is upserted here): 1013 Try Again Later, a
          // code clients retry on. graphql-ws' own close (4403) that follows is then ignored.
          ctx.extra.socket.close(1013, 'Try again later: the database is unavailable');
          return false;
        }
      },
      onSubscribe: async (ctx, _id, params) => {
        // GraphiQL sends its Headers tab with each operation (extensions.headers), not in
        // connection_init: such a token, verified the same way, speaks for that operation only.
        let viewerKey: object = ctx.extra;
        const headers = (params.extensions as { headers?: Record<string, unknown> } | undefined)
          ?.headers;
        const operationToken = headers?.Authorization ?? headers?.authorization;
        if (operationToken) {
          viewerKey = {};
          try {
            socketViewers.set(viewerKey, await authenticate(operationToken));
          } catch (error) {
            if (error instanceof AuthError) return [invalidToken(error.message)];
            const unavailable = serviceUnavailableIfDatabaseDown(error);
            if (unavailable) return [unavailable];
            throw error;
          }
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socketKey: viewerKey,
          params,
          // POST: Yoga refuses mutations in GET requests, and a socket carries mutations too.
          request: new Request(`http://${ctx.extra.request.headers.host ?? 'localhost'}/graphql`, {
            method: 'POST',
          }),
        });
        const args = {
          schema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? (errors as GraphQLError[]) : args;
      },
    },
    wsServer,
  );

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
