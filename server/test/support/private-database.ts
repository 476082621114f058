import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { TestDatabase } from './databases.ts';
import { type PrivatePostgres, startPrivatePostgres } from './private-servers.ts';

/**
 * A private PostgreSQL cluster with one migrated database, for tests that stop and start it.
 * `database` is what startTestApp takes; `open()` gives more pools on it (e.g. to capture errors).
 */
export async function startPrivateDatabase(name = 'promptmeter') {
  const cluster = await startPrivatePostgres();
  const removeAtExit = await stopAtProcessExit(cluster);
  const admin = new pg.Client({ connectionString: cluster.url() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
  const open = (poolSize = 4) => openDatabase({ databaseUrl: cluster.url(name), poolSize });
  const db = await open();
  await migrate(db);
  const database: TestDatabase = { ...db, name, openAnother: () => open() };
  return {
    cluster,
    database,
    open,
    url: cluster.url(name),
    async remove() {
      await db.close().catch(() => {});
      await cluster.remove();
      process.off('exit', removeAtExit);
    },
  };
}

export type PrivateDatabase = Awaited<ReturnType<typeof startPrivateDatabase>>;

/** Whatever ends the test process, the cluster does not outlive it (afterAll may never run). */
async function stopAtProcessExit(cluster: PrivatePostgres): Promise<() => void> {
  const client = new pg.Client({ connectionString: cluster.url() });
  await client.connect();
  const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
  await client.end();
  const dataDir = rows[0]?.data_directory as string;
  const removeAtExit = () => {
    try {
      const stop = `/usr/lib/postgresql/15/bin/pg_ctl -D '${dataDir}' -m immediate stop`;
      if (process.getuid?.() === 0) execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', stop]);
      else execFileSync('/bin/sh', ['-c', stop]);
    } catch {
      // Already stopped.
    }
    rmSync(path.dirname(dataDir), { recursive: true, force: true });
  };
  process.once('exit', removeAtExit);
  return removeAtExit;
}

/** Settles to what `promise` threw (or fails the test if it did not throw). */
export async function thrownBy(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected an error, but it succeeded');
    },
    (error: unknown) => error,
  );
}

/** A loopback TCP proxy to PostgreSQL that can reset (RST) every connection through it. */
export async function cuttingProxy(targetPort: number) {
  const clients: Socket[] = [];
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.pipe(upstream).pipe(client);
    client.once('close', () => upstream.destroy());
    clients.push(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    reset: () => {
      for (const client of clients.splice(0)) client.resetAndDestroy();
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
