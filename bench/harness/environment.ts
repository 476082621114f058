import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import type { Environment } from '../report/results.ts';
import { BENCH_DIR, PG_ADMIN_URL, REDIS_URL, ROOT } from './config.ts';
import { NODE22 } from './processes.ts';

const run = (command: string, args: string[]) => {
  try {
    return execFileSync(command, args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

const version = (dir: string, name: string) => {
  try {
    return JSON.parse(readFileSync(`${dir}node_modules/${name}/package.json`, 'utf8'))
      .version as string;
  } catch {
    return 'missing';
  }
};

/** What the numbers were measured on: machine, versions, and the code's commit. */
export async function describeEnvironment(): Promise<Environment> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  const postgres = (await client.query('SHOW server_version')).rows[0].server_version as string;
  await client.end();
  const redisUrl = new URL(REDIS_URL);
  const redisInfo = run('redis-cli', [
    '-h',
    redisUrl.hostname,
    '-p',
    redisUrl.port || '6379',
    'INFO',
    'server',
  ]);
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg().map((load) => Math.round(load * 100) / 100),
    node: process.version,
    node22: run(NODE22, ['--version']),
    postgres,
    redis: redisInfo.match(/redis_version:(\S+)/)?.[1] ?? 'unknown',
    commit: run('git', ['rev-parse', '--short', 'HEAD']),
    dirty: run('git', ['status', '--porcelain', '--', 'server', 'prisma']) !== '',
    packages: {
      '@prisma/client': version(ROOT, '@prisma/client'),
      'graphql-yoga': version(ROOT, 'graphql-yoga'),
      '@pothos/core': version(ROOT, '@pothos/core'),
      'graphql-ws': version(ROOT, 'graphql-ws'),
      pg: version(ROOT, 'pg'),
      jose: version(ROOT, 'jose'),
      autocannon: version(ROOT, 'autocannon'),
      postgraphile: version(BENCH_DIR, 'postgraphile'),
      grafast: version(BENCH_DIR, 'grafast'),
    },
  };
}
