import { mkdirSync } from 'node:fs';
import { type messages, PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.ts';
import { type CopyDataHandler, runPipelined } from './pg-pipeline.ts';
import { runAsStatements, type ScopedRole } from './roles.ts';
import type { SqlText } from './sql.ts';

/** The database behind the app: Prisma for queries, plus the raw driver for migrations. */
export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly prisma: PrismaClient;
  /** Runs a multi-statement SQL script on the driver (Prisma's raw calls are one statement). */
  exec(sql: string): Promise<void>;
  /** One parameterised statement on the driver; for migrations, tests and diagnostics. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs `fn` in one transaction on one connection (for the migrator). */
  transaction<T>(fn: (tx: Pick<Database, 'exec' | 'query'>) => Promise<T>): Promise<T>;
  /**
   * Statements in one round trip and one transaction (all of it commits, or an error rolls all of
   * it back) that first takes `role` and the viewer (RLS). Returns each statement's rows.
   * Statements are written by the `sql` tag (db/sql.ts): their values travel as parameters. On
   * PostgreSQL they are prepared once per pooled connection (db/pg-pipeline.ts).
   */
  runAs(role: ScopedRole, viewerId: string | null, statements: SqlText[]): Promise<Rows[]>;
  /**
   * As runAs, for statements whose last is a `COPY … TO STDOUT`: its data goes to `onCopyData`
   * message by message as it arrives (the bytes are valid only during the call: copy what is
   * kept). Its text has no parameters (COPY takes none: see valuesAsSettings in db/sql.ts).
   */
  copyOutAs(
    role: ScopedRole,
    viewerId: string | null,
    statements: SqlText[],
    onCopyData: CopyDataHandler,
  ): Promise<void>;
  /** PGlite only: a snapshot of the data directory, loaded by fast test databases. */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

type Rows = Record<string, unknown>[];

const TRANSACTIONS = { maxWait: 10_000, timeout: 10_000 };
// Also bounds the wait for a pooled connection under load: as long as Prisma's transaction maxWait.
const CONNECT_TIMEOUT_MS = 10_000;

export type DatabaseOptions =
  | { databaseUrl: string; poolSize?: number }
  | { dataDir?: string; loadDataDir?: Blob | File };

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return 'databaseUrl' in options ? openPostgres(options) : openPGlite(options);
}

function openPostgres({ databaseUrl, poolSize = 10 }: { databaseUrl: string; poolSize?: number }) {
  // A host that drops packets must fail fast (SERVICE_UNAVAILABLE), not wait for TCP's timeout.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // An idle client's error (e.g. the server restarted) must not crash the process.
  pool.on('error', (error) => console.error('[db] idle PostgreSQL client error:', error.message));
  // Under load a transaction may wait for a pooled connection longer than Prisma's 2 s default.
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool),
    transactionOptions: TRANSACTIONS,
  });
  const database: Database = {
    kind: 'postgres',
    prisma,
    exec: async (sql) => {
      await pool.query(sql);
    },
    query: async (sql, params) => (await pool.query(sql, params)).rows,
    // An error aborts the implicit transaction: the connection goes back to the pool clean.
    runAs: async (role, viewerId, statements) =>
      (await runPipelined(pool, runAsStatements(role, viewerId, statements))).slice(1),
    copyOutAs: async (role, viewerId, statements, onCopyData) => {
      await runPipelined(pool, runAsStatements(role, viewerId, statements), onCopyData);
    },
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          exec: async (sql) => {
            await client.query(sql);
          },
          query: async (sql, params) => (await client.query(sql, params)).rows,
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
  return database;
}

async function openPGlite({ dataDir, loadDataDir }: { dataDir?: string; loadDataDir?: Blob }) {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir, loadDataDir ? { loadDataDir } : {});
  const prisma = new PrismaClient({
    adapter: new PrismaPGlite(pglite),
    transactionOptions: TRANSACTIONS,
  });
  const onDriver = (driver: Pick<PGlite, 'exec' | 'query'>): Pick<Database, 'exec' | 'query'> => ({
    exec: async (sql) => {
      await driver.exec(sql);
    },
    query: async <Row>(sql: string, params?: unknown[]) =>
      (await driver.query<Row>(sql, params)).rows,
  });
  const database: Database = {
    kind: 'pglite',
    prisma,
    ...onDriver(pglite),
    transaction: (fn) => pglite.transaction((tx) => fn(onDriver(tx))),
    // In-process, so round trips cost nothing: one transaction (set_config(…, true) ends with it).
    runAs: (role, viewerId, statements) =>
      pglite.transaction(async (tx) => {
        const results: Rows[] = [];
        for (const { text, values } of runAsStatements(role, viewerId, statements)) {
          results.push((await tx.query<Rows[number]>(text, values as unknown[])).rows);
        }
        return results.slice(1);
      }),
    // The same messages as pg's pipeline (unnamed statements: nothing to cache in-process), in
    // one exclusive turn of PGlite's only connection, as its own query() takes it.
    copyOutAs: async (role, viewerId, statements, onCopyData) => {
      const messages = runAsStatements(role, viewerId, statements).flatMap(({ text, values }) => [
        serialize.parse({ text, types: [] }),
        serialize.bind({ values: [...values] }),
        serialize.execute({}),
      ]);
      const bytes = new Uint8Array(Buffer.concat([...messages, serialize.sync()]));
      const { messages: replies } = await pglite._runExclusiveTransaction(() =>
        pglite._runExclusiveQuery(() => pglite.execProtocol(bytes)),
      );
      for (const reply of replies) {
        if (reply.name === 'copyData') onCopyData((reply as messages.CopyDataMessage).chunk);
      }
    },
    dumpDataDir: () => pglite.dumpDataDir('none'),
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
  return database;
}
