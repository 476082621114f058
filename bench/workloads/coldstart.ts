/**
 * Workload 6: cold start, `npm start` to the first answered query, on a fresh data directory
 * (first run: embedded PostgreSQL is initialised, migrated and seeded) and on the same directory
 * again (warm), against a hello-world server started the same way (npm → tsx → node).
 * Also promptmeter on the bench's PostgreSQL (already migrated).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Mode, ROOT } from '../harness/config.ts';
import { type Spread, shuffled, spread } from '../harness/stats.ts';
import type { Check } from './check.ts';

export interface ColdStartResult {
  checks: Check[];
  /** `npm start`'s prestart step (builds the web UI when stale), run once before timing. */
  prestart: { seconds: number; output: string } | null;
  seconds: { hello: number[]; first: number[]; warm: number[]; postgres: number[] };
  firstOverHello: Spread;
  warmOverHello: Spread;
  postgresOverHello: Spread;
}

const PROBE = JSON.stringify({ query: '{ templates(first: 1) { totalCount } }' });

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Spawns `command`, polls the GraphQL probe until it is answered; seconds from spawn. */
async function timeToFirstAnswer(args: string[], env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  // Its own process group, so stopping it also stops npm's children (sh, tsx, node).
  const child: ChildProcess = spawn('npm', args, {
    cwd: ROOT,
    detached: true,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    while (!exited && performance.now() - started < 120_000) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: PROBE,
        });
        const json = (await response.json()) as { data?: { templates?: unknown } };
        if (response.ok && json.data?.templates) return (performance.now() - started) / 1000;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`npm ${args.join(' ')} never answered (${exited ? 'it exited' : 'timeout'})`);
  } finally {
    if (child.pid && !exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (!exited) process.kill(-child.pid, 'SIGKILL');
    }
  }
}

export async function runColdStart(
  mode: Mode,
  databaseUrl: string,
  log: (line: string) => void,
): Promise<ColdStartResult> {
  // npm start first builds the web UI when it is stale (prestart): a one-off per checkout,
  // timed here once and kept out of the start-up rounds.
  let prestart: ColdStartResult['prestart'] = null;
  const scripts = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).scripts ?? {};
  if (scripts.prestart) {
    const begun = performance.now();
    const output = execFileSync('npm', ['run', '-s', 'prestart'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    prestart = { seconds: (performance.now() - begun) / 1000, output };
    log(
      `  prestart (UI build if stale): ${prestart.seconds.toFixed(1)} s${output ? ` — ${output.split('\n')[0]}` : ''}`,
    );
  }
  const seconds = {
    hello: [] as number[],
    first: [] as number[],
    warm: [] as number[],
    postgres: [] as number[],
  };
  for (let round = 0; round < mode.coldStartRounds; round++) {
    for (const which of shuffled(['hello', 'pglite', 'postgres'] as const)) {
      if (which === 'hello') {
        seconds.hello.push(
          await timeToFirstAnswer(['exec', '--', 'tsx', 'bench/servers/hello.ts'], {}),
        );
      } else if (which === 'postgres') {
        seconds.postgres.push(
          await timeToFirstAnswer(['start'], { DATABASE_URL: databaseUrl, SEED_DEMO: 'false' }),
        );
      } else {
        const dataDir = mkdtempSync(path.join(os.tmpdir(), 'promptmeter-bench-cold-'));
        try {
          seconds.first.push(await timeToFirstAnswer(['start'], { DATA_DIR: dataDir }));
          seconds.warm.push(await timeToFirstAnswer(['start'], { DATA_DIR: dataDir }));
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      }
    }
    log(
      `  cold start round ${round + 1}: hello ${seconds.hello.at(-1)?.toFixed(2)} s, first run ${seconds.first.at(-1)?.toFixed(2)} s, warm ${seconds.warm.at(-1)?.toFixed(2)} s, PostgreSQL ${seconds.postgres.at(-1)?.toFixed(2)} s`,
    );
  }
  const over = (values: number[]) =>
    spread(values.map((value, i) => value / (seconds.hello[i] as number)));
  return {
    checks: [
      {
        name: 'npm start answers its first query (fresh data dir, warm data dir, PostgreSQL)',
        ok: true,
        detail: `${seconds.first.length + seconds.warm.length + seconds.postgres.length} starts answered`,
      },
    ],
    prestart,
    seconds,
    firstOverHello: over(seconds.first),
    warmOverHello: over(seconds.warm),
    postgresOverHello: over(seconds.postgres),
  };
}
