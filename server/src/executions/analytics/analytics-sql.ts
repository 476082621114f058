/**
 * The analytics statements over the rollups (migrations 007, 010), for Database.runAs as the
 * viewer: RLS shows a template's rollups to its owners only. `scope` is one template or all of
 * the viewer's; each answer is a signed sum of aligned pieces (analytics-range.ts `pieces`).
 */
import { sql } from '../../db/sql.ts';
import type { Piece } from './analytics-range.ts';

export type Scope = { templateId: string } | { allOwned: true };

const COMMA = sql`, `;

export const scopeSql = (scope: Scope, alias: string) => {
  const column = sql`${sql.identifier(alias)}.template_id`;
  return 'templateId' in scope
    ? sql`${column} = ${sql.uuid(scope.templateId)}`
    : sql`${column} IN (SELECT viewer_template_ids())`;
};

/** Integers as one array value (`{1,2,3}`), cast by the statement. */
const integers = (values: number[]) => {
  if (!values.every(Number.isSafeInteger)) throw new Error('not integers');
  return `{${values.join(',')}}`;
};

/**
 * The pieces as s(g, at, k, sign), each joined to its rollup rows of `table` (as `alias`) by
 * (template, grain, start) through LATERAL: a plain join (or a LATERAL the planner flattens, hence
 * OFFSET 0) lets a planner without fresh statistics scan every rollup row of the template.
 */
function piecesJoin(scope: Scope, list: Piece[], table: string, alias: string, columns: string[]) {
  const a = sql.identifier(alias);
  const picked = sql.join(
    columns.map((column) => sql`${a}.${sql.identifier(column)}`),
    COMMA,
  );
  const column = (pick: (piece: Piece) => number) => integers(list.map(pick));
  // Starts travel as epoch minutes (a third of an ISO text) and become timestamptz in a subquery
  // kept apart (OFFSET 0), computed from the piece and never from the rollup row: EXPLAIN under
  // RLS shows (template, grain, start) as the index condition, an index-only scan. Written with
  // to_timestamp() in the join's condition, it only filtered every row of the grain after the
  // policy (4 s for the callers read when migration 010 was written).
  const pieces = sql`(SELECT g, to_timestamp(m::float8 * 60) AS at, k, sign FROM unnest(${column((p) => p.grain)}::int[], ${column((p) => p.start / 60_000)}::int[], ${column((p) => p.key)}::int[], ${column((p) => p.sign)}::int[]) AS u(g, m, k, sign) OFFSET 0) s`;
  return sql`${pieces} CROSS JOIN LATERAL (SELECT ${picked} FROM ${sql.identifier(table)} ${a} WHERE ${scopeSql(scope, alias)} AND ${a}.grain_minutes = s.g AND ${a}.bucket_start = s.at OFFSET 0) ${a}`;
}

const COUNTERS = [
  ...['runs', 'running', 'succeeded', 'failed', 'paid_runs'],
  ...['input_tokens', 'output_tokens', 'revenue_micro'],
];

/** The counters of each piece, a row per piece that has any (`k`: its key). */
export function countersSql(scope: Scope, list: Piece[]) {
  const columns = COUNTERS.map((name) => sql`r.${sql.identifier(name)}`);
  return sql`SELECT s.k, ${sql.join(columns, COMMA)} FROM ${piecesJoin(scope, list, 'x402_usage_rollups', 'r', COUNTERS)}`;
}

/**
 * The execution-time histogram of each piece, a row per piece that has any (`k`: its key):
 * `counts` is the bins from `lo` up, comma separated.
 */
export function latencySql(scope: Scope, list: Piece[]) {
  return sql`SELECT s.k, array_lower(h.counts, 1) AS lo, array_to_string(h.counts, ',', '0') AS counts FROM ${piecesJoin(scope, list, 'x402_usage_latency_histograms', 'h', ['counts'])}`;
}

/**
 * Each key's callers with runs in its pieces (signed sums > 0), as the CTE `c` (k, caller_key,
 * runs, revenue). A caller key is the caller's id, or 'payer:' and the payer's address
 * (migration 007); grouped by code unit (COLLATE "C": no locale rules, several times faster).
 */
const callerSetSql = (scope: Scope, list: Piece[]) =>
  sql`WITH c AS (SELECT s.k, c.caller_key COLLATE "C" AS caller_key, sum(s.sign * c.runs) AS runs, sum(s.sign * c.revenue_micro) AS revenue FROM ${piecesJoin(scope, list, 'x402_usage_caller_rollups', 'c', ['caller_key', 'runs', 'revenue_micro'])} GROUP BY s.k, 2 HAVING sum(s.sign * c.runs) > 0)`;

const PEOPLE = sql`count(*) FILTER (WHERE c.caller_key NOT LIKE 'payer:%')::text AS callers, count(*) FILTER (WHERE c.caller_key LIKE 'payer:%')::text AS payers`;

/** Distinct callers and anonymous payers per key. */
export function peopleSql(scope: Scope, list: Piece[]) {
  return sql`${callerSetSql(scope, list)} SELECT c.k, ${PEOPLE} FROM c GROUP BY c.k`;
}

/**
 * Distinct callers and anonymous payers of the pieces (all of key 0), then the top callers by runs
 * and by revenue: rows tagged by `part`, ordered by caller key on ties.
 */
export function callersSql(scope: Scope, list: Piece[], top: number) {
  const columns = sql`CASE WHEN c.caller_key LIKE 'payer:%' THEN NULL ELSE c.caller_key END AS caller_id, CASE WHEN c.caller_key LIKE 'payer:%' THEN substr(c.caller_key, 7) END AS payer_address, c.runs::text AS runs, c.revenue::text AS revenue`;
  return sql`${callerSetSql(scope, list)} SELECT 'count' AS part, c.k, ${PEOPLE}, NULL AS caller_id, NULL AS payer_address, NULL AS runs, NULL AS revenue FROM c GROUP BY c.k UNION ALL (SELECT 'runs', c.k, NULL, NULL, ${columns} FROM c WHERE c.k = 0 ORDER BY c.runs DESC, c.caller_key LIMIT ${top}) UNION ALL (SELECT 'revenue', c.k, NULL, NULL, ${columns} FROM c WHERE c.k = 0 AND c.revenue > 0 ORDER BY c.revenue DESC, c.caller_key LIMIT ${top})`;
}

/** The most frequent error messages (first 300 characters) of the pieces (all of one key). */
export function errorsSql(scope: Scope, list: Piece[], top: number) {
  return sql`SELECT e.message, sum(s.sign * e.runs)::text AS runs FROM ${piecesJoin(scope, list, 'x402_usage_error_rollups', 'e', ['message', 'runs'])} GROUP BY e.message HAVING sum(s.sign * e.runs) > 0 ORDER BY sum(s.sign * e.runs) DESC, e.message COLLATE "C" LIMIT ${top}`;
}
