import pg from 'pg';
import { boundsSql, toRange, pieces, COUNTER_GRAINS } from '/work/main/server/src/executions/analytics/analytics-range.ts';
import { callersSql, countersSql, latencySql, errorsSql } from '/work/main/server/src/executions/analytics/analytics-sql.ts';
import { demoUserId } from '/work/main/server/src/auth/authenticator.ts';
const OWNER = demoUserId('bench-analytics-owner');
const TEMPLATE = '0000a7a1-0000-4000-8000-000000000001';
const db = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/promptmeter_bench_analytics' });
await db.connect();
const zone = 'America/New_York';
const { rows: [b] } = await db.query(boundsSql({ preset: 'last30Days' }, zone, 'day').text);
const range = toRange(b.bounds, zone, 'day');
const at = (i: number) => range.bounds[i]!;
const n = range.buckets;
const scope = { templateId: TEMPLATE };
const rangePieces = pieces(at(n), at(2 * n), 0);
const prevPieces = pieces(at(0), at(n), 1);
const which = process.argv[2] ?? 'callers';
console.log('range pieces', rangePieces.map((p) => `${p.sign > 0 ? '+' : '-'}${p.grain}`).join(' '));
console.log('prev pieces', prevPieces.map((p) => `${p.sign > 0 ? '+' : '-'}${p.grain}`).join(' '));
const statement =
  which === 'callers' ? callersSql(scope, [...rangePieces, ...prevPieces], 10)
  : which === 'counters' ? countersSql(scope, Array.from({ length: 2 * n }, (_, k) => pieces(at(k), at(k + 1), k, COUNTER_GRAINS)).flat())
  : which === 'latency' ? latencySql(scope, [...Array.from({ length: n }, (_, k) => pieces(at(n + k), at(n + k + 1), k)).flat(), ...pieces(at(0), at(n), n)])
  : errorsSql(scope, rangePieces, 10);
await db.query('BEGIN');
await db.query(`SET LOCAL ROLE promptmeter_app`);
await db.query(`SELECT set_config('app.user_id', $1, true)`, [OWNER]);
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const r = await db.query(statement.text);
  console.log(which, 'rows', r.rows.length, (performance.now() - t).toFixed(1), 'ms');
}
const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`);
console.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
await db.query('ROLLBACK');
await db.end();
