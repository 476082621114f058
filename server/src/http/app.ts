import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { getOperationAST } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Database } from '../db/database.ts';
import { setRequestStatementTimeout } from '../db/roles.ts';
import {
  DEFAULT_OPERATION_LIMITS,
  type OperationLimits,
  type SocketLimits,
} from '../lib/limits.ts';
import {
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  useOnePaidFieldPerOperation,
} from '../payments/index.ts';
import type { Context, Services } from '../schema/context.ts';
import { schema } from '../schema/index.ts';
import { createContext, type ServerContext } from './context.ts';
import { loggerQuietOnDatabaseOutages, maskError } from './database-unavailable.ts';
import { serveExport } from './export-route.ts';
import { graphiqlOptions } from './graphiql.ts';
import { renderGraphiQLPage } from './graphiql-page.ts';
import { serveGraphqlWs } from './graphql-ws.ts';
import { serveHealth } from './health.ts';
import { useOperationLimits, useOperationTimeLimit } from './plugins/operation-limits.ts';
import { useRequestBodyLimit } from './plugins/request-body-limit.ts';
import { useResponseHeaders } from './plugins/response-headers.ts';
import { useSharedSubscriptions } from './plugins/shared-subscriptions.ts';
import { hasVariableInLiteral, useVariableCoercion } from './plugins/variable-coercion.ts';
import {
  corsFor,
  DEVELOPMENT_HTTP_POLICY,
  type HttpPolicy,
  useJsonPostsOnly,
  useSchemaExposure,
} from './policy.ts';
import { trackRequests } from './requests-in-flight.ts';
import { routeRequests } from './routes.ts';

export interface AppDeps {
  db: Database;
  services: Services;
  /**
   * Development only: POST /dev/token mints a token for a demo user (the UI's "Sign in as") and
   * GraphiQL opens signed in — for loopback clients only. Same as policy.devConveniences.
   */
  devTokens?: boolean;
  /** What is exposed: introspection, GraphiQL, suggestions, CORS origins (policy.ts). */
  policy?: Partial<HttpPolicy>;
  /** The built web client (client/dist), served at the paths outside the API. */
  clientDist?: string;
  /** Extra Yoga plugins. */
  plugins?: Plugin[];
  /** Operation limits (README "Security"); defaults: DEFAULT_OPERATION_LIMITS. */
  limits?: Partial<OperationLimits>;
  /** WebSocket limits; defaults: DEFAULT_SOCKET_LIMITS. */
  socketLimits?: Partial<SocketLimits>;
}

/** The HTTP + WebSocket server: GraphQL over HTTP (Yoga) and graphql-ws on the same /graphql. */
export function buildApp({
  db,
  services,
  devTokens = false,
  clientDist,
  plugins = [],
  limits: limitOptions,
  socketLimits,
  policy: policyOptions,
}: AppDeps) {
  const policy: HttpPolicy = {
    ...DEVELOPMENT_HTTP_POLICY,
    devConveniences: devTokens,
    ...policyOptions,
  };
  const { authenticate, context } = createContext(db, services, policy.trustProxyHops);
  const limits = { ...DEFAULT_OPERATION_LIMITS, ...limitOptions };
  setRequestStatementTimeout(limits.statementTimeoutMs);
  const requests = trackRequests();

  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // One operation per request: a payment pays for one run (see useOnePaidFieldPerOperation).
    batching: false,
    // useRequestBodyLimit (last in the plugins below) limits bodies instead, at less cost.
    maxRequestBodySize: false,
    // Browsers may only read the x402 headers of a cross-origin response if they are exposed.
    cors: corsFor(policy.corsOrigins, [PAYMENT_REQUIRED_HEADER, PAYMENT_RESPONSE_HEADER]),
    plugins: [
      useJsonPostsOnly(),
      useSchemaExposure(policy),
      // Before anything runs: size, shape and cost of the operation.
      ...useOperationLimits(limits),
      // Queries and mutations run as compiled code (graphql-jit, cached per document); see
      // BENCHMARKS.md. Subscriptions keep graphql-js.
      useGraphQlJit(
        {},
        {
          enableIf: ({ document, operationName }) =>
            getOperationAST(document, operationName)?.operation !== 'subscription' &&
            !hasVariableInLiteral(document),
        },
      ),
      useOperationTimeLimit(limits.operationTimeoutMs),
      useVariableCoercion({ suggestions: policy.suggestions }),
      useResponseHeaders(),
      useOnePaidFieldPerOperation(),
      useSharedSubscriptions(),
      requests.plugin,
      ...plugins,
      // After every request parser: it wraps the one chosen for the request.
      useRequestBodyLimit(),
    ],
    // A database outage is SERVICE_UNAVAILABLE (503 + Retry-After), logged in one line.
    // Never unmasked, whatever NODE_ENV says: the original error is in the server's log.
    maskedErrors: { maskError, isDev: false },
    logging: loggerQuietOnDatabaseOutages(),
    renderGraphiQL: renderGraphiQLPage,
    graphiql: policy.graphiql
      ? graphiqlOptions(services.authenticator, policy.devConveniences)
      : false,
    context,
  });

  const server = createServer(
    requests.counting(
      routeRequests(yoga, {
        clientDist,
        devTokens: policy.devConveniences ? services.authenticator : undefined,
        health: serveHealth({ db, services }),
        production: policy.production,
        exportRuns: serveExport(db, services.authenticator),
      }),
    ),
  );
  const closeGraphqlWs = serveGraphqlWs(server, yoga, authenticate, {
    limits: socketLimits,
    corsOrigins: policy.corsOrigins,
    trustProxyHops: policy.trustProxyHops,
  });

  /**
   * The graceful stop: readiness answers 503 and new runs are refused at once; no new
   * connection is accepted; requests and runs in flight get up to `graceMs` to finish (and
   * write their rows); then WebSockets close with 1001 and what is left is cut.
   */
  async function drainAndClose(graceMs: number) {
    const deadline = Date.now() + graceMs;
    const remaining = () => Math.max(0, deadline - Date.now());
    services.runsInFlight.drain();
    requests.drain();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // HTTP runs are requests too; a run over a WebSocket is counted only by runsInFlight.
    await services.runsInFlight.drained(remaining());
    await requests.drained(remaining());
    const runsLeft = services.runsInFlight.count;
    // A WebSocket run's result is sent in the microtasks after its promise settles: let them
    // run before the sockets close.
    await new Promise((resolve) => setImmediate(resolve));
    await closeGraphqlWs();
    server.closeAllConnections();
    await closed;
    return { runsLeft };
  }
  let stopping: ReturnType<typeof drainAndClose> | null = null;

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
    /** Stops gracefully within `graceMs` (0: at once); once, later calls share the first. */
    stop({ graceMs = 0 }: { graceMs?: number } = {}) {
      stopping ??= drainAndClose(graceMs);
      return stopping;
    },
  };
}

export type App = ReturnType<typeof buildApp>;
