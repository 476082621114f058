import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openDatabase } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import type { Env } from './env.ts';
import { redactUrl } from './executions/execution-events.ts';
import { createRunRecovery } from './executions/run-recovery.ts';
import { buildApp } from './http/app.ts';
import { createChainReader } from './payments/chain-reader.ts';
import { createReconciler } from './payments/reconcile.ts';
import { createServices } from './services.ts';
import { seedDemoData } from './templates/demo-seed.ts';

const RECONCILE_EVERY_MS = 30_000;
const FLUSH_ON_STOP_MS = 5000;
const CLIENT_DIST = fileURLToPath(new URL('../../client/dist', import.meta.url));

/** Opens the database, migrates, recovers interrupted runs, and serves. */
export async function startServer(env: Env) {
  const db = await openDatabase(
    env.databaseUrl
      ? { databaseUrl: env.databaseUrl, poolSize: env.databasePoolSize }
      : { dataDir: `${env.dataDir}/pglite` },
  );
  const applied = await migrate(db);
  if (applied.length > 0) console.log(`[db] applied migrations: ${applied.join(', ')}`);
  if (env.seedDemo && (await seedDemoData(db))) console.log('[db] seeded demo data');

  const instanceId = randomUUID();
  const { services, close: closeServices } = await createServices(env, db, instanceId);
  // What a previous process told its callers but could not write lands first, then the sweeper
  // may fail what is left of dead instances' runs.
  const replayed = await services.executionLog.replayJournal();
  if (replayed > 0) console.warn(`[runs] replayed ${replayed} journaled final state(s)`);
  const recovery = createRunRecovery(db, {
    instanceId,
    leaseMs: env.instanceLeaseMs,
    legacyAgeMs: env.interruptedAfterMs,
    events: services.events,
  });
  await recovery.start();
  const reconcile = createReconciler(db, {
    chain: env.rpcUrl ? createChainReader(env.rpcUrl) : null,
    // By then a live settlement has its answer, and its run has written it (or journaled it).
    minAgeMs: env.facilitatorTimeoutMs + 30_000,
    published: services.events.publish,
  });
  const reconciler = setInterval(
    () => reconcile().catch((error) => console.error('[payments] reconciliation failed:', error)),
    RECONCILE_EVERY_MS,
  );
  reconciler.unref();

  const app = buildApp({
    db,
    services,
    devTokens: !env.production,
    clientDist: CLIENT_DIST,
    limits: env.operationLimits,
    socketLimits: env.socketLimits,
    policy: {
      introspection: env.introspection,
      graphiql: env.graphiql,
      suggestions: env.suggestions,
      corsOrigins: env.corsOrigins,
      production: env.production,
      trustProxyHops: env.trustProxyHops,
    },
  });
  const { url } = await app.start(env.port, env.host);
  const offline = !env.anthropicApiKey;
  console.log(
    [
      `promptmeter listening on ${url}  (GraphiQL: ${url}/graphql)`,
      `  database : ${env.databaseUrl ? `PostgreSQL ${redactUrl(env.databaseUrl)}` : `embedded PostgreSQL (PGlite) in ${env.dataDir}/pglite`}`,
      `  pub/sub  : ${services.events.description}`,
      `  model    : ${services.model.description}`,
      `  payments : ${services.payments.description}`,
      offline
        ? '  ⚠ OFFLINE MODEL: ANTHROPIC_API_KEY is not set, runs are answered by a built-in stand-in, not Claude.'
        : '',
      env.jwtSecret
        ? ''
        : `  auth     : development JWT secret in ${env.dataDir}/jwt-secret — npm run token -- <name>`,
    ]
      .filter(Boolean)
      .join('\n'),
  );

  return {
    url,
    app,
    runsInFlight: services.runsInFlight,
    /** The live history's feeds: their round trips, for the benchmark. */
    liveLog: services.liveLog,
    /** Drains (see App.stop) for up to `graceMs`, then closes the services and the database. */
    async stop({ graceMs = 0 }: { graceMs?: number } = {}) {
      await app.stop({ graceMs });
      clearInterval(reconciler);
      // Final states the database has not taken yet: a last chance (they stay journaled).
      await services.executionLog.flush(Math.min(graceMs, FLUSH_ON_STOP_MS));
      // A final state still waiting for the database keeps the lease (and its journal entry).
      if (services.executionLog.pendingWrites === 0) await recovery.stop();
      await closeServices();
      await db.close();
    },
  };
}
