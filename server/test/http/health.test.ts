import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createExecutionEvents } from '../../src/executions/execution-events.ts';
import { stack, type TestDatabase } from '../support/databases.ts';
import {
  type PrivatePostgres,
  type PrivateRedis,
  startPrivatePostgres,
  startPrivateRedis,
} from '../support/private-servers.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

async function probe(app: TestApp, path: string, method = 'GET') {
  const response = await fetch(`${app.url}${path}`, { method });
  const text = await response.text();
  return {
    status: response.status,
    cacheControl: response.headers.get('cache-control'),
    body: text ? JSON.parse(text) : null,
  };
}

/** Polls readiness until it answers `status` (a dependency coming back takes a reconnect). */
async function readyUntil(app: TestApp, status: number, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const answer = await probe(app, '/health/ready');
    if (answer.status === status || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('health endpoints for orchestrators', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.close());

  it('answers liveness with 200 {"status":"ok"}, never cached, to GET and HEAD', async () => {
    expect(await probe(app, '/health/live')).toEqual({
      status: 200,
      cacheControl: 'no-store',
      body: { status: 'ok' },
    });
    expect(await probe(app, '/health/live', 'HEAD')).toMatchObject({ status: 200, body: null });
  });

  it('answers readiness with 200 when the database, the migrations and pub/sub are fine', async () => {
    // With Redis, pub/sub is ready once its connections are: a moment after the app starts.
    expect(await readyUntil(app, 200)).toEqual({
      status: 200,
      cacheControl: 'no-store',
      body: { status: 'ok', checks: { database: 'ok', migrations: 'ok', pubsub: 'ok' } },
    });
    expect(await probe(app, '/health/ready', 'HEAD')).toMatchObject({ status: 200, body: null });
  });

  it('refuses other methods and paths under /health/ while Yoga keeps GET /health', async () => {
    expect((await probe(app, '/health/ready', 'POST')).status).toBe(405);
    expect((await probe(app, '/health/other')).status).toBe(404);
    expect((await fetch(`${app.url}/health`)).status).toBe(200);
  });

  it('answers readiness with 503 "draining" once the server drains, while still live', async () => {
    const draining = await startTestApp();
    try {
      draining.services.runsInFlight.drain();
      expect(await probe(draining, '/health/ready')).toEqual({
        status: 503,
        cacheControl: 'no-store',
        body: { status: 'draining' },
      });
      expect((await probe(draining, '/health/live')).status).toBe(200);
    } finally {
      await draining.close();
    }
  });
});

// Brings its own PostgreSQL cluster and Redis, so it does not depend on the test mode: it runs
// in the PGlite run only, not again in the PostgreSQL + Redis one.
describe.skipIf(stack.postgres)('readiness when a dependency fails', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let database: TestDatabase;
  let events: ReturnType<typeof createExecutionEvents>;
  let app: TestApp;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    const open = () => openDatabase({ databaseUrl: postgres.url(), poolSize: 4 });
    const db = await open();
    await migrate(db);
    database = { ...db, name: `pm_health_${postgres.port}`, openAnother: open };
    events = createExecutionEvents({ redisUrl: redis.url, namespace: database.name });
    app = await startTestApp({ database, services: { events } });
  });
  afterAll(async () => {
    await app?.close();
    await events?.close();
    await database?.close();
    await Promise.all([postgres?.remove(), redis?.remove()]);
  });

  it('is ready with the private database and Redis up (once connected to them)', async () => {
    expect((await readyUntil(app, 200)).body).toEqual({
      status: 'ok',
      checks: { database: 'ok', migrations: 'ok', pubsub: 'ok' },
    });
  });

  it('answers 503 naming a migration that is not applied', async () => {
    const [row] = await database.query(
      'DELETE FROM promptmeter_migrations WHERE name = $1 RETURNING *',
      ['004_run_recovery'],
    );
    try {
      expect(await probe(app, '/health/ready')).toMatchObject({
        status: 503,
        body: {
          status: 'unavailable',
          checks: { database: 'ok', migrations: 'not applied: 004_run_recovery', pubsub: 'ok' },
        },
      });
    } finally {
      await database.query(
        'INSERT INTO promptmeter_migrations (name, checksum, applied_at) VALUES ($1, $2, $3)',
        [row?.name, row?.checksum, row?.applied_at],
      );
    }
    expect((await probe(app, '/health/ready')).status).toBe(200);
  });

  it('answers 503 naming the database while it is down, and 200 once it is back', async () => {
    await postgres.stop();
    try {
      const down = await probe(app, '/health/ready');
      expect(down).toMatchObject({ status: 503, body: { status: 'unavailable' } });
      expect(down.body.checks.database).not.toBe('ok');
      expect(down.body.checks.migrations).toBe('not checked: no database');
      expect(down.body.checks.pubsub).toBe('ok');
      expect((await probe(app, '/health/live')).status).toBe(200);
    } finally {
      await postgres.start();
    }
    expect((await readyUntil(app, 200)).status).toBe(200);
  });

  it('answers 503 naming pub/sub while Redis is down, and 200 once it is back', async () => {
    await redis.kill();
    try {
      const down = await probe(app, '/health/ready');
      expect(down).toMatchObject({ status: 503, body: { status: 'unavailable' } });
      expect(down.body.checks).toMatchObject({ database: 'ok', migrations: 'ok' });
      expect(down.body.checks.pubsub).not.toBe('ok');
    } finally {
      await redis.start();
    }
    expect((await readyUntil(app, 200)).status).toBe(200);
  });
});
