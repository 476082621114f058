import pg from 'pg';
import { executionCountSql, executionPageSql } from '../../server/src/testing.ts';
import { ACTORS, HOT_TEMPLATE } from '../dataset/actors.ts';
import type { Dataset } from '../dataset/dataset.ts';
import { COUNT, NEXT_PAGE_OR } from '../report/legacy-plans.ts';

export interface Plan {
  name: string;
  sql: string;
  plan: string;
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the page queries as a request runs them: inside a transaction
 * as the request role with the hot caller as viewer, so RLS is part of every plan.
 */
export async function explainPages(dataset: Dataset): Promise<Plan[]> {
  const client = new pg.Client({ connectionString: dataset.url });
  await client.connect();
  const { createdAt, id } = dataset.deep;
  const hot = { templateId: HOT_TEMPLATE, callerId: ACTORS.hotCaller };
  const page = executionPageSql(hot, 21, null);
  const deep = executionPageSql(hot, 21, { createdAt, id });
  const count = executionCountSql(hot);
  // [name, SQL, its parameters, generic plan]: the app prepares its statements once per
  // connection, so PostgreSQL may settle on the generic plan (after five custom ones).
  const cases: Array<[string, string, readonly unknown[], boolean?]> = [
    ['first page (current)', page.text, page.values],
    [
      'first page, generic plan (a prepared statement may settle on it)',
      page.text,
      page.values,
      true,
    ],
    [
      `deep page (${dataset.deepOffset} rows in), keyset as an OR only (before e952f70)`,
      NEXT_PAGE_OR,
      [HOT_TEMPLATE, ACTORS.hotCaller, createdAt, createdAt, id, 21, 0],
    ],
    [
      `deep page (${dataset.deepOffset} rows in) with the seekable bound (current)`,
      deep.text,
      deep.values,
    ],
    [`deep page (${dataset.deepOffset} rows in), generic plan`, deep.text, deep.values, true],
    [
      'totalCount of the hot pair by count(*) (before migration 003; what P does)',
      COUNT,
      [HOT_TEMPLATE, ACTORS.hotCaller, 0],
    ],
    ['totalCount of the hot pair from the run counter (current)', count.text, count.values],
  ];
  const plans: Plan[] = [];
  try {
    for (const [name, sql, values, generic] of cases) {
      const params = [...values];
      await client.query('BEGIN');
      await client.query(
        `SELECT set_config('role', 'promptmeter_app', true), set_config('app.user_id', $1, true)`,
        [ACTORS.hotCaller],
      );
      // EXPLAIN plans with the parameters' values; a prepared statement shows its generic plan.
      let explained = sql;
      if (generic) {
        await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
        await client.query(`PREPARE bench_generic AS ${sql}`);
        // EXECUTE takes no protocol parameters: the bench's own values, quoted here.
        const args = params.map((value) => client.escapeLiteral(String(value)));
        explained = `EXECUTE bench_generic(${args.join(', ')})`;
      }
      const bound = generic ? [] : params;
      // Twice: the first run warms the cache; the second is the plan reported.
      await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${explained}`, bound);
      const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${explained}`, bound);
      if (generic) await client.query('DEALLOCATE bench_generic');
      await client.query('COMMIT');
      plans.push({ name, sql, plan: rows.map((row) => row['QUERY PLAN']).join('\n') });
    }
  } finally {
    await client.end();
  }
  return plans;
}
