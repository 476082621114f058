import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

/**
 * PostgreSQL clusters and Redis servers of a test's own, on free loopback ports, for fault tests
 * that stop, restart or kill them. Never the machine's own services.
 */

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A free TCP port on 127.0.0.1 for a server of a test's own, below the kernel's ephemeral range
 * (32768-60999 here): the kernel's own picks (listen(0), and the local port of every outgoing
 * connection, thousands a minute while the suites run side by side in CI) never take it between
 * this check and the server's bind, nor while a stopped server waits to start again on it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
    if (attempt > 50) throw new Error('no free port in 20000-31999');
  }
}

/** Commands run as `postgres` (initdb refuses root) when the tests run as root. */
const asPostgres = (command: string, args: string[]) =>
  process.getuid?.() === 0
    ? run('su', ['postgres', '-s', '/bin/sh', '-c', [command, ...args.map(quote)].join(' ')])
    : run(command, args);

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: every connection is cut, new ones are refused until start(). */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the cluster for good and deletes its directory. */
  remove(): Promise<void>;
}

/** initdb + pg_ctl start on a free port, trust auth on loopback only. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pm-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  await asPostgres(`${PG_BIN}/initdb`, [
    '-D',
    dataDir,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
  ]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const pgCtl = (...args: string[]) => asPostgres(`${PG_BIN}/pg_ctl`, ['-D', dataDir, ...args]);
  const start = async () => {
    await pgCtl('-w', '-l', path.join(dir, 'log'), '-o', options, 'start');
  };
  const stop = async () => {
    await pgCtl('-w', '-m', 'fast', 'stop');
  };
  await start();
  return {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start,
    stop,
    restart: async () => {
      await pgCtl('-w', '-m', 'fast', '-l', path.join(dir, 'log'), '-o', options, 'restart');
    },
    remove: async () => {
      await stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGKILL: connections drop without a goodbye, as in a crash or a failover. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: it keeps nothing on disk). */
  start(): Promise<void>;
  remove(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    await kill(); // never two servers, one of them orphaned
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => {});
    for (let attempt = 0; ; attempt++) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch (error) {
        if (attempt > 100) throw error;
        await sleep(50);
      }
    }
  };
  async function kill() {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, kill, start, remove: kill };
}
