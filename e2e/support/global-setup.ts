import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/** Text that makes the offline model answer 529 Overloaded (a run that fails on the model). */
export const FAIL_PATTERN = 'E2E_MODEL_FAILS';
/** A topic containing this is streamed over about 6 s by the offline model: a run to watch running. */
export const SLOW_PATTERN = 'E2E_MODEL_IS_SLOW';

declare module 'vitest' {
  export interface ProvidedContext {
    baseURL: string;
    failPattern: string;
  }
}

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => path.join(repo, 'node_modules', '.bin', name);

export default async function setup(project: TestProject) {
  if (process.env.E2E_SKIP_BUILD !== '1') buildClient();

  const dataDir = await mkdtemp(path.join(tmpdir(), 'promptmeter-e2e-'));
  const port = await freePort();
  const logFile = path.join(dataDir, 'server.log');
  const server = startServer(dataDir, port, logFile);
  const baseURL = `http://127.0.0.1:${port}`;
  try {
    await waitForServer(baseURL, server);
    await expectClientServed(baseURL);
  } catch (error) {
    await stopServer(server);
    const log = await readFile(logFile, 'utf8').catch(() => '');
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n--- server log ---\n${log}`);
  }

  project.provide('baseURL', baseURL);
  project.provide('failPattern', FAIL_PATTERN);

  return async () => {
    await stopServer(server);
    await rm(dataDir, { recursive: true, force: true });
  };
}

function buildClient() {
  const result = spawnSync(bin('vite'), ['build', '--config', 'client/vite.config.ts'], {
    cwd: repo,
    encoding: 'utf8',
    // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) {
    throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

function startServer(dataDir: string, port: number, logFile: string): ChildProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    PROMPTMETER_OFFLINE_FAIL_PATTERN: FAIL_PATTERN,
    PROMPTMETER_OFFLINE_SLOW_PATTERN: SLOW_PATTERN,
  };
  // The real development server: embedded PostgreSQL, offline model, development sign-in,
  // simulated settlement (the built-in facilitator: the payment tests pay with fresh keys).
  for (const name of [
    'NODE_ENV',
    'DATABASE_URL',
    'REDIS_URL',
    'ANTHROPIC_API_KEY',
    'JWT_SECRET',
    'X402_FACILITATOR_URL',
  ]) {
    delete env[name];
  }
  const log = createWriteStream(logFile);
  // Its own process group, so that stopping it also stops what tsx starts.
  const child = spawn(bin('tsx'), ['server/src/main.ts'], {
    cwd: repo,
    env,
    detached: true,
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

async function waitForServer(baseURL: string, server: ChildProcess) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${baseURL}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the server did not answer ${baseURL}/health within 90 s`);
}

async function expectClientServed(baseURL: string) {
  const response = await fetch(`${baseURL}/templates/unknown`);
  const body = await response.text();
  if (!response.ok || !body.includes('<div id="root">')) {
    throw new Error(
      `GET ${baseURL}/templates/unknown did not answer the client's index.html (HTTP ${response.status}): ` +
        'is buildApp given clientDist: "client/dist"?',
    );
  }
}

async function stopServer(server: ChildProcess) {
  if (server.exitCode !== null || server.pid === undefined) return;
  const group = -server.pid;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(group, name);
    } catch {
      // already gone
    }
  };
  const exited = new Promise((resolve) => server.once('exit', resolve));
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
