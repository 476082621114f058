import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { inject } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';

/** Which stack this run tests: PGlite by default, PostgreSQL (+ Redis) when the env says so. */
export const stack = {
  postgres: Boolean(process.env.TEST_DATABASE_URL),
  redisUrl: process.env.TEST_REDIS_URL || undefined,
};

export function databaseUrl(url: string, database: string) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export const adminUrl = (url: string) => databaseUrl(url, 'postgres');

export interface TestDatabase extends Database {
  /** Unique per test database: namespaces Redis channels, names the PostgreSQL database. */
  readonly name: string;
  /** A second connection pool to the same database (a second server instance). PostgreSQL only. */
  openAnother(): Promise<Database>;
}

/** A fresh, migrated, empty database for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const url = process.env.TEST_DATABASE_URL;
  // Named after this test run, whose teardown drops only its own (others may run at once).
  const name = `${url ? inject('pgDatabasePrefix') : 'pm_t_'}${randomBytes(6).toString('hex')}`;
  if (!url) {
    const dump = await readFile(inject('pgliteDump'));
    const db = await openDatabase({ loadDataDir: new Blob([dump]) });
    return {
      ...db,
      name,
      openAnother: () => Promise.reject(new Error('PGlite is one connection in one process')),
    };
  }
  const admin = new pg.Client({ connectionString: adminUrl(url) });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  } finally {
    await admin.end();
  }
  const open = () => openDatabase({ databaseUrl: databaseUrl(url, name), poolSize: 10 });
  const db = await open();
  return {
    ...db,
    name,
    openAnother: open,
    close: async () => {
      await db.close();
      const cleanup = new pg.Client({ connectionString: adminUrl(url) });
      await cleanup.connect();
      await cleanup
        .query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
        .finally(() => cleanup.end());
    },
  };
}
