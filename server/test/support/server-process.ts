import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach } from 'vitest';
import { createAuthenticator, demoUserId } from '../../src/auth/authenticator.ts';

/**
 * Real server processes (`node --import tsx server/src/main.ts`, or `npm start` running the
 * server bundle and leading its own process group), for fault tests that SIGKILL, SIGTERM and
 * restart them. Every child is registered: afterAll and the test process's exit kill whatever
 * is still running.
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** Fixed, so tests mint tokens every instance accepts. */
export const JWT_SECRET = 'fault-suite-jwt-secret-for-tests-only-0123456789';
const authenticator = createAuthenticator(JWT_SECRET);
export const mintToken = (name: string) => authenticator.mint({ sub: demoUserId(name), name });

export interface ServerProcessOptions {
  name: string;
  databaseUrl: string;
  redisUrl?: string;
  /** The loopback Messages API (ANTHROPIC_BASE_URL). */
  modelUrl: string;
  /** The loopback x402 facilitator (X402_FACILITATOR_URL). */
  facilitatorUrl: string;
  /** Reused by restart(): the run journal lives there. Default: a new temp dir. */
  dataDir?: string;
  /** Anything else, e.g. RUN_DEADLINE_MS, INSTANCE_LEASE_MS, RUN_JOURNAL_DIR, SHUTDOWN_GRACE_MS. */
  env?: Record<string, string>;
  /**
   * `npm-start`: `npm start --ignore-scripts` (no prestart: the server bundle it runs is built
   * here when stale, the web UI is not needed), detached: it leads a group.
   */
  launcher?: 'node' | 'npm-start';
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  readonly exited: Promise<Exit>;
  readonly alive: boolean;
  /** stdout and stderr, line by line, as they came. */
  output(): string;
  /** Sends `signal` to the process (`group`: to its whole process group, npm-start only). */
  kill(signal: NodeJS.Signals, options?: { group?: boolean }): void;
  /** SIGKILL (unless it already exited) and wait for the exit. */
  stop(): Promise<Exit>;
  /** A new process with the same options and DATA_DIR; this one must have exited. */
  restart(extra?: Partial<ServerProcessOptions>): Promise<ServerProcess>;
}

const running = new Set<ChildProcess>();
/** Groups led by `npm start`: npm may exit (after SIGTERM, at once) while its server drains. */
const groups = new Set<number>();
const started: ServerProcess[] = [];
const tempDirs: string[] = [];
// Whatever ends the test process (a crash, a timeout), its servers go with it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const group of groups) killGroup(group);
});

function killGroup(group: number) {
  try {
    process.kill(-group, 'SIGKILL');
  } catch {}
}

/** Registers afterAll (kill every child, remove temp dirs) and output dumps on failed tests. */
export function useServerProcesses() {
  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    for (const server of started) {
      console.log(`----- ${server.name} (pid ${server.pid}) output -----\n${server.output()}`);
    }
  });
  afterAll(async () => {
    await Promise.all(started.map((server) => server.stop()));
    started.length = 0;
    for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

/** What prestart does for the server: `npm start` runs dist/server/main.js. */
function buildServerBundle() {
  const build = spawnSync(process.execPath, ['server/scripts/build-if-stale.js', 'server'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`server bundle build failed:\n${build.stderr}`);
}

export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'pm-fault-data-'));
  if (!options.dataDir) tempDirs.push(dataDir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl ?? '',
    DATA_DIR: dataDir,
    JWT_SECRET,
    SEED_DEMO: 'false',
    ANTHROPIC_API_KEY: 'test',
    ANTHROPIC_BASE_URL: options.modelUrl,
    ANTHROPIC_MAX_RETRIES: '0',
    X402_FACILITATOR_URL: options.facilitatorUrl,
    ...options.env,
  };
  // The test runner's own settings must not leak into the server.
  for (const name of Object.keys(env))
    if (name.startsWith('VITEST') || name === 'TEST') delete env[name];
  const npm = options.launcher === 'npm-start';
  if (npm) buildServerBundle();
  const child = npm
    ? spawn('npm', ['start', '--ignore-scripts'], { cwd: ROOT, env, detached: true })
    : spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], { cwd: ROOT, env });
  running.add(child);
  if (npm && child.pid) groups.add(child.pid);
  const lines: string[] = [];
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      lines.push(`[exit] code ${code} signal ${signal}`);
      resolve({ code, signal });
    });
  });
  let onLine: (line: string) => void = () => {};
  captureLines(child, lines, (line) => onLine(line));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.name}: not listening after 90 s:\n${lines.join('\n')}`));
    }, 90_000);
    onLine = (line) => {
      const match = /promptmeter listening on (\S+)/.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    exited.then((exit) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${options.name} exited before listening (${JSON.stringify(exit)}):\n${lines.join('\n')}`,
        ),
      );
    });
  });
  const server: ServerProcess = {
    name: options.name,
    url,
    pid: child.pid as number,
    dataDir,
    exited,
    get alive() {
      return running.has(child);
    },
    output: () => lines.join('\n'),
    kill(signal, { group = false } = {}) {
      if (!running.has(child)) return;
      process.kill(group ? -(child.pid as number) : (child.pid as number), signal);
    },
    async stop() {
      if (running.has(child)) server.kill('SIGKILL', { group: npm });
      const exit = await exited;
      if (npm) {
        killGroup(server.pid);
        groups.delete(server.pid);
      }
      return exit;
    },
    async restart(extra = {}) {
      await exited;
      return startServerProcess({ ...options, ...extra, dataDir });
    },
  };
  started.push(server);
  return server;
}

/** stdout and stderr into `lines`, tagged, one entry per line. */
function captureLines(child: ChildProcess, lines: string[], onLine: (line: string) => void) {
  for (const [stream, tag] of [
    [child.stdout, 'out'],
    [child.stderr, 'err'],
  ] as const) {
    let partial = '';
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(`[${tag}] ${line}`);
        onLine(line);
      }
    });
  }
}
