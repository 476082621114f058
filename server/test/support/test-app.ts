import { type Client, createClient } from 'graphql-ws';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import WebSocket from 'ws';
import { createAuthenticator, demoUserId, type TokenPolicy } from '../../src/auth/authenticator.ts';
import type { Database } from '../../src/db/database.ts';
import { createExecutionEvents } from '../../src/executions/execution-events.ts';
import { createExecutionLog } from '../../src/executions/execution-log.ts';
import { createLiveLog } from '../../src/executions/log-feed.ts';
import { createRunCancellations } from '../../src/executions/run-cancellations.ts';
import { createRunsInFlight } from '../../src/executions/runs-in-flight.ts';
import { type AppDeps, buildApp } from '../../src/http/app.ts';
import type { HttpPolicy } from '../../src/http/policy.ts';
import { createAnthropicModel } from '../../src/llm/anthropic.ts';
import {
  type MessagesApiServer,
  startMessagesApiServer,
} from '../../src/llm/offline-messages-api.ts';
import { createPaymentGate } from '../../src/payments/index.ts';
import type { PaymentGate } from '../../src/payments/payment-gate.ts';
import { DEFAULT_TEMPLATE_POLICY, type RateLimitSettings } from '../../src/quotas/limits.ts';
import { createRateLimiter } from '../../src/quotas/rate-limits.ts';
import type { Services } from '../../src/schema/context.ts';
import { tracked } from './counted-events.ts';
import { createTestDatabase, stack, type TestDatabase } from './databases.ts';
import { collect, type GraphQLResponse } from './subscription-results.ts';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface TestAppOptions {
  /** Share a database with another instance (PostgreSQL: a second pool, as a real instance). */
  database?: TestDatabase;
  /** Share the model endpoint too. */
  modelServer?: MessagesApiServer;
  services?: Partial<Services>;
  /** The payment gate, built on this app's database; default: x402 with the local facilitator. */
  payments?: (db: Database) => PaymentGate;
  /** Execution-log write retries (fast by default) and where write failures are reported. */
  executionLog?: Parameters<typeof createExecutionLog>[1];
  /** Extra Yoga plugins (AppDeps.plugins). */
  plugins?: Plugin[];
  /** Operation and WebSocket limits (AppDeps.limits, AppDeps.socketLimits). */
  limits?: AppDeps['limits'];
  socketLimits?: AppDeps['socketLimits'];
  /** The token policy (default: HS256 with TEST_JWT_SECRET and the default limits). */
  tokenPolicy?: Partial<TokenPolicy>;
  /** Rate limits over the defaults (0 turns one off). */
  rateLimits?: Partial<RateLimitSettings>;
  /** What the HTTP layer exposes (AppDeps.policy). */
  policy?: Partial<HttpPolicy>;
}

/** The real app on a loopback port, with the real SDK pointed at a loopback Messages API. */
export async function startTestApp(options: TestAppOptions = {}) {
  const ownsDatabase = !options.database;
  const database = options.database ?? (await createTestDatabase());
  const db = countRoundTrips(ownsDatabase ? database : await anotherInstance(database));
  const modelServer = options.modelServer ?? (await startMessagesApiServer());
  const events = tracked(
    createExecutionEvents({ redisUrl: stack.redisUrl, namespace: database.name }),
  );
  const authenticator = createAuthenticator({ secret: TEST_JWT_SECRET, ...options.tokenPolicy });
  const baseServices: Omit<Services, 'liveLog'> = {
    authenticator,
    model: createAnthropicModel({ apiKey: 'test-key', baseURL: modelServer.url, maxRetries: 0 }),
    events,
    payments:
      options.payments?.(db) ??
      createPaymentGate(
        { facilitatorUrl: undefined, facilitatorTimeoutMs: 10_000, modelTimeoutMs: 60_000 },
        db.prisma,
      ),
    // Publishes where the app's pub/sub is, also when a test brings its own.
    executionLog: createExecutionLog(db, {
      retryDelaysMs: [10, 50],
      events: options.services?.events ?? events,
      ...options.executionLog,
    }),
    runsInFlight: createRunsInFlight(),
    rateLimits: createRateLimiter({
      limits: options.rateLimits,
      redisUrl: stack.redisUrl,
      namespace: database.name,
    }),
    templatePolicy: DEFAULT_TEMPLATE_POLICY,
    cancellations: createRunCancellations(db),
    ...options.services,
  };
  const services: Services = {
    ...baseServices,
    liveLog: options.services?.liveLog ?? createLiveLog(db, baseServices.events),
  };
  // Subscriptions share pub/sub streams: count subscribes that returned a stream instead.
  const subscriptions = { started: 0 };
  const countSubscriptions: Plugin = {
    onSubscribe: () => ({
      onSubscribeResult: ({ result }) => {
        if (isAsyncIterable(result)) subscriptions.started++;
      },
    }),
  };
  const app = buildApp({
    db,
    services,
    plugins: [...(options.plugins ?? []), countSubscriptions],
    limits: options.limits,
    socketLimits: options.socketLimits,
    policy: options.policy,
  });
  const { url } = await app.start(0);
  const sockets: Client[] = [];

  async function gql<Data = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    {
      token,
      headers = {},
      network = false,
    }: { token?: string; headers?: Record<string, string>; network?: boolean } = {},
  ): Promise<GraphQLResponse<Data> & { status: number; headers: Headers }> {
    // yoga.fetch skips the socket; `network` goes through the real HTTP server instead.
    const send = network ? fetch : app.yoga.fetch;
    const response = await send(network ? `${url}/graphql` : 'http://localhost/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    return { ...(await response.json()), status: response.status, headers: response.headers };
  }

  /** A graphql-ws client over a real socket; `authorization` goes in connectionParams. */
  function ws(token?: string | null, connectionParams?: Record<string, unknown>) {
    const client = createClient({
      url: `${url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: connectionParams ?? (token ? { authorization: `Bearer ${token}` } : {}),
      retryAttempts: 0,
      lazy: true,
    });
    sockets.push(client);
    return client;
  }

  return {
    app,
    url,
    db,
    database,
    modelServer,
    services,
    /** Messages this instance sent to the database (Database.runAs), by what they were for. */
    roundTrips: db.roundTrips,
    gql,
    ws,
    /**
     * Resolves once `count` more subscriptions than `since` are listening for events on this
     * instance (pass `app.subscriptionsStarted()` taken before subscribing).
     */
    async waitForSubscribers(count: number, since = 0, ms = 5000) {
      const deadline = Date.now() + ms;
      while (subscriptions.started - since < count) {
        if (Date.now() > deadline) {
          throw new Error(`only ${subscriptions.started - since} subscribed`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Redis acknowledges SUBSCRIBE asynchronously: give it a round trip.
      if (stack.redisUrl) await new Promise((resolve) => setTimeout(resolve, 50));
    },
    subscriptionsStarted: () => subscriptions.started,
    /** Pub/sub subscriptions made by this instance, and how many are still open. */
    pubSub: () => ({ started: events.started, open: events.open }),
    /** Subscribes over a new socket and resolves once the server is listening for events. */
    async watch<T = any>(token: string, query: string, variables: Record<string, unknown>) {
      const since = subscriptions.started;
      const collector = collect<T>(ws(token), query, variables);
      await this.waitForSubscribers(1, since);
      return collector;
    },
    token: (name: string) => authenticator.mint({ sub: demoUserId(name), name }),
    userId: demoUserId,
    async close() {
      // dispose() rethrows how a client's last connection failed (a reset under load, a refusal):
      // the test that used it has judged that already.
      await Promise.allSettled(sockets.map((socket) => socket.dispose()));
      await app.stop();
      services.executionLog.close();
      services.cancellations.close();
      await events.close();
      await services.rateLimits.close();
      if (!options.modelServer) await modelServer.close();
      if (ownsDatabase) await database.close();
      else await db.close();
    },
  };
}

/** What a runAs message was for: the live log's reads, or anything else. */
export interface RoundTrips {
  /** Reads of a template's changes or of the commit watermark (feeds and catching-up streams). */
  changeReads: number;
  /** Feed messages asking which viewers may read a batch (live_log_visible, migration 012). */
  visibilityChecks: number;
  other: number;
}

/** The database as it is, counting the messages sent through runAs (no behaviour changed). */
function countRoundTrips(db: Database): Database & { roundTrips: RoundTrips } {
  const roundTrips: RoundTrips = { changeReads: 0, visibilityChecks: 0, other: 0 };
  return {
    ...db,
    roundTrips,
    runAs: (role, viewerId, statements) => {
      const text = statements.map((statement) => statement.text).join(';');
      if (text.includes('live_log_visible')) roundTrips.visibilityChecks++;
      else if (text.includes('pg_snapshot_xmin')) roundTrips.changeReads++;
      else roundTrips.other++;
      return db.runAs(role, viewerId, statements);
    },
  };
}

async function anotherInstance(database: TestDatabase): Promise<Database> {
  if (!stack.postgres) return { ...database, close: async () => {} };
  return database.openAnother();
}

export type TestApp = Awaited<ReturnType<typeof startTestApp>>;
