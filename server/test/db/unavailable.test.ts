import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PrismaPg } from '@prisma/adapter-pg';
import { type GraphQLError, locatedError } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { isDatabaseUnavailable } from '../../src/db/unavailable.ts';
import { backendClient } from '../../src/db/viewer-client.ts';
import { PrismaClient } from '../../src/generated/prisma/client.ts';
import { maskError } from '../../src/http/database-unavailable.ts';
import { badInput, notFound } from '../../src/lib/api-errors.ts';
import { stack } from '../support/databases.ts';
import {
  cuttingProxy,
  type PrivateDatabase,
  startPrivateDatabase,
  thrownBy,
} from '../support/private-database.ts';
import { freePort } from '../support/private-servers.ts';

// Every error here is thrown by pg or Prisma against a real cluster of the test's own. It is
// independent of the test mode, so it runs in the default mode only (not twice in CI).
describe.skipIf(stack.postgres)('isDatabaseUnavailable, on what pg and Prisma throw', () => {
  let privateDb: PrivateDatabase;
  let db: Database;
  const pools: pg.Pool[] = [];
  const pool = (config: pg.PoolConfig) => {
    const created = new pg.Pool(config);
    created.on('error', () => {}); // idle clients cut by the tests
    pools.push(created);
    return created;
  };
  const prismaOn = (on: pg.Pool) => new PrismaClient({ adapter: new PrismaPg(on) });

  beforeAll(async () => {
    privateDb = await startPrivateDatabase();
    db = await privateDb.open();
  });
  afterAll(async () => {
    for (const each of pools) await each.end().catch(() => {});
    await db?.close().catch(() => {});
    await privateDb?.remove();
  });

  it('is false for refused statements, our API errors and other network peers', async () => {
    const id = randomUUID();
    const backend = backendClient(db.prisma);
    await backend.user.create({ data: { id, name: 'ada' } });
    const refused = {
      prismaUnique: await thrownBy(backend.user.create({ data: { id, name: 'bo' } })),
      pgUnique: await thrownBy(db.query('INSERT INTO users (id, name) VALUES ($1, $2)', [id, 'x'])),
      pgSyntax: await thrownBy(db.query('SELEC 1')),
      prismaSyntax: await thrownBy(db.prisma.$queryRawUnsafe('SELEC 1')),
      apiError: notFound('Template'),
      locatedApiError: locatedError(badInput('bad', 'variables'), undefined, ['executeTemplate']),
      // fetch's "fetch failed" with ECONNREFUSED as its cause: the model API or a facilitator.
      httpPeer: await thrownBy(fetch(`http://127.0.0.1:${await freePort()}/`)),
    };
    expect(refused.prismaUnique).toMatchObject({ code: 'P2002' });
    expect(refused.pgUnique).toMatchObject({ code: '23505' });
    expect(refused.pgSyntax).toMatchObject({ code: '42601' });
    expect(refused.prismaSyntax).toMatchObject({ code: 'P2010' });
    expect(refused.httpPeer).toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    for (const [what, error] of Object.entries(refused)) {
      expect(isDatabaseUnavailable(error), what).toBe(false);
    }
  });

  it('is true with no connection to be had: too many (53300), none free in time', async () => {
    await db.query('CREATE ROLE limited LOGIN CONNECTION LIMIT 1');
    const limited = pool({ connectionString: privateDb.url.replace('postgres@', 'limited@') });
    const held = await limited.connect();
    const busy = pool({ connectionString: privateDb.url, max: 1, connectionTimeoutMillis: 100 });
    const heldToo = await busy.connect();
    const errors = {
      pgTooMany: await thrownBy(limited.query('SELECT 1')),
      prismaTooMany: await thrownBy(prismaOn(limited).$queryRawUnsafe('SELECT 1')),
      pgPoolTimeout: await thrownBy(busy.query('SELECT 1')),
      prismaPoolTimeout: await thrownBy(prismaOn(busy).$queryRawUnsafe('SELECT 1')),
    };
    held.release();
    heldToo.release();
    expect(errors.pgTooMany).toMatchObject({ code: '53300' });
    expect(errors.prismaTooMany).toMatchObject({
      meta: { driverAdapterError: { cause: { kind: 'TooManyConnections' } } },
    });
    expect(errors.pgPoolTimeout).toMatchObject({
      message: 'timeout exceeded when trying to connect',
    });
    expect(errors.prismaPoolTimeout).toMatchObject({
      message: 'timeout exceeded when trying to connect',
    });
    for (const [what, error] of Object.entries(errors)) {
      expect(isDatabaseUnavailable(error), what).toBe(true);
    }
  });

  it('is true when the connection is reset mid-query', async () => {
    const proxy = await cuttingProxy(privateDb.cluster.port);
    const throughProxy = pool({
      connectionString: privateDb.url.replace(/:\d+\//, `:${proxy.port}/`),
    });
    const pgQuery = thrownBy(throughProxy.query('SELECT pg_sleep(30)'));
    const prismaQuery = thrownBy(prismaOn(throughProxy).$queryRawUnsafe('SELECT pg_sleep(30)'));
    await waitForSleepingQueries(2);
    proxy.reset();
    const errors = { pg: await pgQuery, prisma: await prismaQuery };
    await proxy.close();
    expect(errors.pg).toMatchObject({ code: 'ECONNRESET' });
    expect(errors.prisma).toMatchObject({
      code: 'P2010',
      meta: { driverAdapterError: { cause: { kind: 'ConnectionClosed' } } },
    });
    for (const [what, error] of Object.entries(errors)) {
      expect(isDatabaseUnavailable(error), what).toBe(true);
    }
  });

  it('is true for what a stop throws: in flight (57P01), then refused (ECONNREFUSED, P1001)', async () => {
    const backend = backendClient(db.prisma);
    const inFlightPg = thrownBy(db.query('SELECT pg_sleep(30)'));
    const inFlightPrisma = thrownBy(db.prisma.$queryRawUnsafe('SELECT pg_sleep(30)'));
    await waitForSleepingQueries(2);
    await privateDb.cluster.stop();
    const id = randomUUID();
    const errors = {
      inFlightPg: await inFlightPg,
      inFlightPrisma: await inFlightPrisma,
      pg: await thrownBy(db.query('SELECT 1')),
      prismaModel: await thrownBy(db.prisma.user.findMany()),
      prismaScopedUpsert: await thrownBy(
        backend.user.upsert({ where: { id }, create: { id, name: 'cy' }, update: {} }),
      ),
      prismaRaw: await thrownBy(db.prisma.$queryRawUnsafe('SELECT 1')),
      prismaTransaction: await thrownBy(db.prisma.$transaction((tx) => tx.user.findMany())),
    };
    await privateDb.cluster.start();
    expect(errors.inFlightPg).toMatchObject({ code: '57P01', severity: 'FATAL' });
    expect(errors.inFlightPrisma).toMatchObject({
      code: 'P2010',
      meta: { driverAdapterError: { cause: { kind: 'postgres', code: '57P01' } } },
    });
    expect(errors.pg).toMatchObject({ code: 'ECONNREFUSED' });
    for (const prismaError of [
      errors.prismaModel,
      errors.prismaScopedUpsert,
      errors.prismaTransaction,
    ]) {
      expect(prismaError).toMatchObject({
        code: 'P1001',
        meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } },
      });
    }
    expect(errors.prismaRaw).toMatchObject({ code: 'P2010' });
    for (const [what, error] of Object.entries(errors)) {
      expect(isDatabaseUnavailable(error), what).toBe(true);
      // As a resolver's error reaches Yoga: graphql-js wraps it in a located GraphQLError.
      expect(isDatabaseUnavailable(locatedError(error, undefined, ['templates'])), what).toBe(true);
    }

    // Yoga's maskError: a root field's failure is a 503; below a root field (a mutation's
    // payload: the run happened) the field alone is SERVICE_UNAVAILABLE, without a 503.
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const root = maskError(locatedError(errors.prismaModel, undefined, ['templates']), 'masked');
    const nested = maskError(
      locatedError(errors.prismaModel, undefined, ['executeTemplate', 'execution', 'template']),
      'masked',
    );
    vi.restoreAllMocks();
    expect(root).toMatchObject({
      path: ['templates'],
      extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
    });
    expect(nested).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect((nested as GraphQLError).extensions).not.toHaveProperty('http');
  });

  async function waitForSleepingQueries(count: number) {
    const deadline = Date.now() + 10_000;
    const sleeping = async () =>
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE state = 'active' AND query = 'SELECT pg_sleep(30)'`,
        )
      )[0]?.n ?? 0;
    while ((await sleeping()) < count) {
      if (Date.now() > deadline) throw new Error(`fewer than ${count} queries started`);
      await sleep(20);
    }
  }
});
