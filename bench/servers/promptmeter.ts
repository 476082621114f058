/**
 * (O) promptmeter itself, started as production would (`startServer` with the environment the
 * driver passes), plus a count of the round trips its pg driver makes and the SQL statements
 * they carry, for "round trips (statements) per run". The count patches the `pg` the app
 * resolves (the root one), never the app's code.
 */
import { createRequire } from 'node:module';
import { readEnv, startServer } from '../../server/src/testing.ts';
import { ready } from './child.ts';

const appRequire = createRequire(new URL('../../server/src/testing.ts', import.meta.url));
const pg = appRequire('pg') as typeof import('pg');
const counters = { roundTrips: 0, statements: 0 };
const logSql = process.env.BENCH_LOG_SQL === '1';
const seen = new Set<string>();
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
// One Client.query is one round trip. Database.runAs's pipeline (db/pg-pipeline.ts) carries its
// `statements`; any other query (Prisma's) carries one.
pg.Client.prototype.query = function countedQuery(this: unknown, ...args: unknown[]) {
  const first = args[0] as string | { text?: string; statements?: { text: string }[] };
  const statements = typeof first === 'string' ? undefined : first?.statements;
  const text =
    typeof first === 'string'
      ? first
      : (statements?.map((s) => s.text).join(';\n') ?? first?.text ?? '');
  counters.roundTrips++;
  counters.statements += statements?.length ?? 1;
  if (logSql && !seen.has(text)) {
    seen.add(text);
    console.log(`[sql] ${text}`);
  }
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

const server = await startServer(readEnv(process.env));
ready(server.url, {
  counters: () => ({
    ...counters,
    liveChangeReads: server.liveLog.counters.changeReads,
    liveVisibilityChecks: server.liveLog.counters.visibilityChecks,
  }),
  stop: () => server.stop(),
});
