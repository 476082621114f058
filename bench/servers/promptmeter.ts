/**
 * (O) promptmeter itself, started as production would (`startServer` with the environment the
 * driver passes), plus a count of every SQL statement its pg driver sends, for "statements per
 * run". The count patches the `pg` the app resolves (the root one), never the app's code.
 */
import { createRequire } from 'node:module';
import { readEnv } from '../../server/src/env.ts';
import { startServer } from '../../server/src/server.ts';
import { ready } from './child.ts';

const appRequire = createRequire(new URL('../../server/src/db/client.ts', import.meta.url));
const pg = appRequire('pg') as typeof import('pg');
const counters = { statements: 0, transactions: 0 };
const logSql = process.env.BENCH_LOG_SQL === '1';
const seen = new Set<string>();
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function countedQuery(this: unknown, ...args: unknown[]) {
  counters.statements++;
  const first = args[0] as string | { text?: string };
  const text = typeof first === 'string' ? first : (first?.text ?? '');
  if (/^\s*BEGIN\b/i.test(text)) counters.transactions++;
  if (logSql && !seen.has(text)) {
    seen.add(text);
    console.log(`[sql] ${text}`);
  }
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

const server = await startServer(readEnv(process.env));
ready(server.url, { counters: () => ({ ...counters }), stop: () => server.stop() });
