import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { type ExecutionArgs, type GraphQLError, getOperationAST } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { useServer as serveGraphqlWs } from 'graphql-ws/use/ws';
import { createYoga, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { AuthError, type Viewer } from '../auth/authenticator.ts';
import { createUserRegistry } from '../auth/ensure-user.ts';
import type { Database } from '../db/database.ts';
import { REQUEST_ROLE } from '../db/roles.ts';
import type { SqlText } from '../db/sql.ts';
import { lazyViewerClient } from '../db/viewer-client.ts';
import { invalidToken } from '../lib/api-errors.ts';
import {
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  useOnePaidFieldPerOperation,
} from '../payments/index.ts';
import type { Context, Services } from '../schema/context.ts';
import { schema } from '../schema/index.ts';
import { GRAPHIQL_DEFAULT_QUERY, GRAPHIQL_USER } from './graphiql.ts';
import { useDevTokens } from './plugins/dev-tokens.ts';
import { useRequestBodyLimit } from './plugins/request-body-limit.ts';
import { useSharedSubscriptions } from './plugins/shared-subscriptions.ts';

export interface AppDeps {
  db: Database;
  services: Services;
  /** Development only: POST /dev/token mints a token for a demo user (the UI's "Sign in as"). */
  devTokens?: boolean;
  /** Extra Yoga plugins, e.g. the built web client. */
  plugins?: Plugin[];
}

/** What a WebSocket connection proved in its connection_init; set only in onConnect. */
const socketViewers = new WeakMap<object, Viewer | null>();

/** Each HTTP request's context.responseHeaders, applied to its response by useResponseHeaders. */
const responseHeaders = new WeakMap<Request, Headers>();

function useResponseHeaders(): Plugin {
  return {
    onResponse({ request, response }) {
      for (const [name, value] of responseHeaders.get(request) ?? []) {
        response.headers.set(name, value);
      }
    },
  };
}

/** The HTTP + WebSocket server: GraphQL over HTTP (Yoga) and graphql-ws on the same /graphql. */
export function buildApp({ db, services, devTokens = false, plugins = [] }: AppDeps) {
  const ensureUser = createUserRegistry(db.prisma);

  async function authenticate(authorization: unknown): Promise<Viewer | null> {
    const viewer = await services.authenticator.viewerFromAuthorization(authorization);
    if (viewer) await ensureUser(viewer);
    return viewer;
  }

  const yoga = createYoga<{ socketKey?: object; req?: IncomingMessage }, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // One operation per request: a payment pays for one run (see useOnePaidFieldPerOperation).
    batching: false,
    // useRequestBodyLimit (last in the plugins below) limits bodies instead, at less cost.
    maxRequestBodySize: false,
    // Browsers may only read the x402 headers of a cross-origin response if they are exposed.
    cors: { exposedHeaders: [PAYMENT_REQUIRED_HEADER, PAYMENT_RESPONSE_HEADER] },
    plugins: [
      // Queries and mutations run as compiled code (graphql-jit, cached per document); see
      // BENCHMARKS.md. Subscriptions keep graphql-js.
      useGraphQlJit(
        {},
        {
          enableIf: ({ document, operationName }) =>
            getOperationAST(document, operationName)?.operation !== 'subscription',
        },
      ),
      useResponseHeaders(),
      useOnePaidFieldPerOperation(),
      useSharedSubscriptions(),
      ...(devTokens ? [useDevTokens(services.authenticator)] : []),
      ...plugins,
      // After every request parser: it wraps the one chosen for the request.
      useRequestBodyLimit(),
    ],
    // GraphiQL's assets come from the package, not a CDN: it works offline. Loaded on first use.
    renderGraphiQL: async (options) =>
      (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    graphiql: async () => ({
      title: 'promptmeter',
      subscriptionsProtocol: 'WS',
      defaultQuery: GRAPHIQL_DEFAULT_QUERY,
      // Development: open signed in as the demo user "alice", so the operations run as they are.
      headers: devTokens
        ? JSON.stringify({
            Authorization: `Bearer ${await services.authenticator.mint(GRAPHIQL_USER)}`,
          })
        : undefined,
    }),
    context: async ({ request, socketKey }: YogaInitialContext & { socketKey?: object }) => {
      let viewer: Viewer | null;
      if (socketKey) {
        viewer = socketViewers.get(socketKey) ?? null;
      } else {
        try {
          viewer = await authenticate(request.headers.get('authorization'));
        } catch (error) {
          if (error instanceof AuthError) throw invalidToken(error.message);
          throw error;
        }
      }
      const headers = new Headers();
      if (!socketKey) responseHeaders.set(request, headers);
      return {
        viewer,
        db: lazyViewerClient(db.prisma, viewer?.id ?? null),
        readAsViewer: (statements: SqlText[]) =>
          db.runAs(REQUEST_ROLE, viewer?.id ?? null, statements),
        services,
        // A bearer credential until settled: read here, never logged.
        paymentHeader: socketKey ? null : request.headers.get('payment-signature'),
        resourceUrl: new URL('/graphql', request.url).toString(),
        responseHeaders: headers,
      };
    },
  });

  const server = createServer(yoga);
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  const wsDisposable = serveGraphqlWs(
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
          throw error;
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

  return {
    yoga,
    server,
    async start(port = 0, host = '127.0.0.1') {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      return {
        port: address.port,
        url: `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${address.port}`,
      };
    },
    async stop() {
      await wsDisposable.dispose();
      for (const client of wsServer.clients) client.terminate();
      wsServer.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Yoga's enveloped execute/subscribe, passed through rootValue as in Yoga's graphql-ws example. */
type Enveloped = {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
};
type OperationResult = ReturnType<NonNullable<ServerOptions['execute']>>;

export type App = ReturnType<typeof buildApp>;
