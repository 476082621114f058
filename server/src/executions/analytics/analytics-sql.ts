/**
 * The analytics statements over the rollups (migration 007), for Database.runAs as the viewer:
 * RLS shows a template's rollups to its owners only. `scope` is one template or all of the
 * viewer's; bucket boundaries and segments come from analytics-range.ts.
 */
import { sql } from '../../db/sql.ts';
import { GRAINS_MINUTES, type Segment } from './analytics-range.ts';

export type Scope = { templateId: string } | { allOwned: true };

const COMMA = sql`, `;

export const scopeSql = (scope: Scope, alias: string) => {
  const column = sql`${sql.identifier(alias)}.template_id`;
  return 'templateId' in scope
    ? sql`${column} = ${sql.uuid(scope.templateId)}`
    : sql`${column} IN (SELECT viewer_template_ids())`;
};

const instants = (ms: number[]) =>
  sql`ARRAY[${sql.join(
    ms.map((at) => sql`${new Date(at)}`),
    COMMA,
  )}]::timestamptz[]`;
const integers = (values: number[]) =>
  sql`ARRAY[${sql.join(
    values.map((value) => sql`${value}`),
    COMMA,
  )}]::int[]`;

/** The segments as a relation s(g, at, k): grain minutes, start, answer key. */
const segmentTable = (list: Segment[]) =>
  sql`unnest(${integers(list.map((s) => s.grain))}, ${instants(list.map((s) => s.start))}, ${integers(list.map((s) => s.key))}) AS s(g, at, k)`;

/** Counters per bucket: `i` is the 1-based bucket of the boundaries (previous period first). */
export function countersSql(scope: Scope, bounds: number[]) {
  const sums = ['runs', 'running', 'succeeded', 'failed', 'paid_runs', 'input_tokens']
    .concat(['output_tokens', 'revenue_micro'])
    .map((name) => sql`sum(r.${sql.identifier(name)})::text AS ${sql.identifier(name)}`);
  return sql`SELECT width_bucket(r.bucket_start, ${instants(bounds)}) AS i, ${sql.join(sums, COMMA)} FROM x402_usage_rollups r WHERE ${scopeSql(scope, 'r')} AND r.bucket_start >= ${new Date(bounds[0] as number)} AND r.bucket_start < ${new Date(bounds.at(-1) as number)} GROUP BY 1`;
}

// Segments drive index lookups on (template_id, grain_minutes, bucket_start) through LATERAL:
// a plain join (or a LATERAL the planner flattens: hence OFFSET 0) lets a planner without fresh
// statistics scan every rollup row of the template.

/** Histogram bins per answer key. */
export function latencySql(scope: Scope, list: Segment[]) {
  return sql`SELECT s.k, l.bin, sum(l.runs)::text AS runs FROM ${segmentTable(list)} CROSS JOIN LATERAL (SELECT l.bin, l.runs FROM x402_usage_latency_rollups l WHERE ${scopeSql(scope, 'l')} AND l.grain_minutes = s.g AND l.bucket_start = s.at OFFSET 0) l GROUP BY s.k, l.bin HAVING sum(l.runs) <> 0`;
}

/**
 * Distinct callers and anonymous payers per key (0: the range, 1: the previous period), then the
 * range's top callers by runs and by revenue: rows tagged by `part`.
 */
export function callersSql(scope: Scope, list: Segment[], top: number) {
  const columns = sql`c.caller_key, c.caller_id, c.payer_address, c.runs::text AS runs, c.revenue::text AS revenue`;
  return sql`WITH c AS (SELECT s.k, c.caller_key, min(c.caller_id::text) AS caller_id, min(c.payer_address) AS payer_address, sum(c.runs) AS runs, sum(c.revenue_micro) AS revenue FROM ${segmentTable(list)} CROSS JOIN LATERAL (SELECT c.caller_key, c.caller_id, c.payer_address, c.runs, c.revenue_micro FROM x402_usage_caller_rollups c WHERE ${scopeSql(scope, 'c')} AND c.grain_minutes = s.g AND c.bucket_start = s.at OFFSET 0) c GROUP BY s.k, c.caller_key HAVING sum(c.runs) > 0) SELECT 'count' AS part, c.k, count(c.caller_id)::text AS callers, (count(*) - count(c.caller_id))::text AS payers, NULL AS caller_key, NULL AS caller_id, NULL AS payer_address, NULL AS runs, NULL AS revenue FROM c GROUP BY c.k UNION ALL (SELECT 'runs', c.k, NULL, NULL, ${columns} FROM c WHERE c.k = 0 ORDER BY c.runs DESC, c.caller_key COLLATE "C" LIMIT ${top}) UNION ALL (SELECT 'revenue', c.k, NULL, NULL, ${columns} FROM c WHERE c.k = 0 AND c.revenue > 0 ORDER BY c.revenue DESC, c.caller_key COLLATE "C" LIMIT ${top})`;
}

/** The range's most frequent error messages (first 300 characters). */
export function errorsSql(scope: Scope, list: Segment[], top: number) {
  return sql`SELECT e.message, sum(e.runs)::text AS runs FROM ${segmentTable(list)} CROSS JOIN LATERAL (SELECT e.message, e.runs FROM x402_usage_error_rollups e WHERE ${scopeSql(scope, 'e')} AND e.grain_minutes = s.g AND e.bucket_start = s.at OFFSET 0) e WHERE s.k = 0 GROUP BY e.message HAVING sum(e.runs) > 0 ORDER BY sum(e.runs) DESC, e.message COLLATE "C" LIMIT ${top}`;
}

export const SET_GRAINS = GRAINS_MINUTES.filter((grain) => grain !== 60);
