import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from './db/database.ts';
import { type Migration, migrate, readMigrations } from './db/migrate.ts';
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

/**
 * Whether every migration file is recorded as applied, unchanged: one read instead of the
 * migrator's locked transaction per migration (most of a warm start on PGlite). Anything else
 * (a new file, an edited one, a fresh database) goes through `migrate`, which decides.
 */
async function allApplied(db: Database, migrations: Migration[]): Promise<boolean> {
  const [table] = await db.query<{ exists: boolean }>(
    `SELECT to_regclass('promptmeter_migrations') IS NOT NULL AS exists`,
  );
  if (!table?.exists) return false;
  const rows = await db.query<{ name: string; checksum: string }>(
    'SELECT name, checksum FROM promptmeter_migrations',
  );
  const recorded = new Map(rows.map((row) => [row.name, row.checksum]));
  return migrations.every((migration) => recorded.get(migration.name) === migration.checksum);
}

/** Opens the database, migrates, recovers interrupted runs, and serves. */
export async function startServer(env: Env) {
  // The files are read while the database opens. Their failure is awaited (thrown) below; if
  // opening fails first, that error is the one reported and this one must not be "unhandled".
  const reading = readMigrations();
  reading.catch(() => {});
  const db = await openDatabase(
    env.databaseUrl
      ? { databaseUrl: env.databaseUrl, poolSize: env.databasePoolSize }
      : { dataDir: `${env.dataDir}/pglite` },
  );
  const migrations = await reading;
  const applied = (await allApplied(db, migrations)) ? [] : await migrate(db, migrations);
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
