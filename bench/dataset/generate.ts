import { createHash } from 'node:crypto';
import pg from 'pg';
import { readMigrations } from '../../server/src/testing.ts';
import type { Mode } from '../harness/config.ts';
import { ACTORS, HOT_TEMPLATE, RUN_TEMPLATE } from './actors.ts';

/**
 * Bump when the generated data changes shape: an old dataset is then rebuilt, not reused (as it
 * is when the app's migrations change: a later migration's constraints may not fit old rows).
 */
const GENERATOR_VERSION = 6;

const OWNER_SERVER = '0b0b0b0b-0000-4000-8000-0000000000aa';
const THIN_USERS = 20_000;
const THIN_TEMPLATES = 2_000;

/** What the marker must match: the size, this generator, and the app's migrations as they are now. */
export async function fingerprint(mode: Mode) {
  const migrations = await readMigrations();
  const hash = createHash('sha256');
  for (const migration of migrations) hash.update(`${migration.name}:${migration.checksum}\n`);
  return `rows=${mode.rows};generator=${GENERATOR_VERSION};migrations=${hash.digest('hex')}`;
}

/** AFTER triggers on the log table whose effect rebuildTriggerState knows how to redo. */
const KNOWN_TRIGGERS = new Set([
  'trg_count_usage_log_insert',
  'trg_count_usage_log_delete',
  'trg_rollup_usage_log',
]);

/**
 * The bulk load runs with triggers off (session_replication_role = replica), so state that
 * migrations keep by trigger is rebuilt here the way its migration back-fills it. An AFTER
 * trigger this does not know stops the generator rather than leave that state silently wrong.
 */
async function rebuildTriggerState(client: pg.Client) {
  const { rows } = await client.query<{ tgname: string }>(
    `SELECT tgname FROM pg_trigger
     WHERE tgrelid = 'x402_prompt_template_usage_logs'::regclass AND NOT tgisinternal
       AND (tgtype & 2) = 0`, // not BEFORE: AFTER (or INSTEAD OF) triggers
  );
  const unknown = rows.map((row) => row.tgname).filter((name) => !KNOWN_TRIGGERS.has(name));
  if (unknown.length > 0) {
    throw new Error(
      `the dataset generator does not know how to rebuild what trigger(s) ${unknown.join(', ')} maintain: teach bench/dataset/generate.ts (rebuildTriggerState)`,
    );
  }
  if (rows.some((row) => row.tgname === 'trg_rollup_usage_log')) {
    // The analytics rollups as the trigger would have left them (migration 010's function).
    await client.query('SELECT rebuild_usage_rollups()');
  }
  if (rows.length > 0) {
    await client.query('DELETE FROM x402_usage_log_counts');
    await client.query(
      `INSERT INTO x402_usage_log_counts (template_id, caller_id, runs)
       SELECT template_id, caller_id, count(*) FROM x402_prompt_template_usage_logs
       WHERE caller_id IS NOT NULL GROUP BY template_id, caller_id`,
    );
  }
}

/**
 * Fills a freshly migrated database: users, servers, templates and `mode.rows` log rows by
 * set-based SQL in one transaction, then the marker row with the fingerprint.
 */
export async function generate(url: string, mode: Mode) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const hot = mode.rows / 10;
  // 1% of the rows: other callers' runs of the hot template, which RLS must hide from the caller.
  const hotOthers = mode.rows / 100;
  const thin = mode.rows - hot - hotOthers;
  try {
    await client.query('BEGIN');
    // Skips FK triggers during the bulk load (superuser only); the data is consistent by design.
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query('SELECT setseed(0.42)');
    await client.query(
      `INSERT INTO users (id, name) VALUES ($1, 'Bench Owner'), ($2, 'Bench Hot Caller'),
         ($3, 'Bench Runner'), ($4, 'Bench Stranger')`,
      [ACTORS.owner, ACTORS.hotCaller, ACTORS.runner, ACTORS.stranger],
    );
    await client.query(
      `INSERT INTO users (id, name)
       SELECT md5('bench-user-' || i)::uuid, 'user ' || i FROM generate_series(1, ${THIN_USERS}) i`,
    );
    await client.query(
      `INSERT INTO servers (id, name, registered_by, verified_owner_id) VALUES ($1, 'Bench', $2, $2)`,
      [OWNER_SERVER, ACTORS.owner],
    );
    await client.query(
      `INSERT INTO servers (id, name, registered_by)
       SELECT md5('bench-server-' || i)::uuid, 'server ' || i, md5('bench-user-' || i)::uuid
       FROM generate_series(1, ${THIN_TEMPLATES / 10}) i`,
    );
    await client.query(
      `INSERT INTO templates (id, server_id, name, description, prompt, variables, model, max_tokens,
                              price_usdc, pay_to, network)
       VALUES ($1, $3, 'Hot template', '', 'Summarise {{text}}',
               '[{"name":"text","description":"","required":true,"default":null}]', 'claude-bench',
               256, 0, '0x${'0'.repeat(40)}', 'eip155:84532'),
              ($2, $3, 'Run template', '', 'Bench run {{seq}}',
               '[{"name":"seq","description":"","required":true,"default":null}]', 'claude-bench',
               64, 0, '0x${'0'.repeat(40)}', 'eip155:84532')`,
      [HOT_TEMPLATE, RUN_TEMPLATE, OWNER_SERVER],
    );
    await client.query(
      `INSERT INTO templates (id, server_id, name, description, prompt, model, max_tokens,
                              price_usdc, pay_to, network)
       SELECT md5('bench-template-' || i)::uuid, md5('bench-server-' || (1 + i % ${THIN_TEMPLATES / 10}))::uuid,
              'template ' || i, '', 'Prompt ' || i, 'claude-bench', 256, 0.01,
              '0x${'1'.repeat(40)}', 'eip155:84532'
       FROM generate_series(1, ${THIN_TEMPLATES}) i`,
    );
    // Index maintenance row by row is what makes a bulk insert slow: drop the log table's
    // secondary indexes and rebuild them from their own definitions afterwards.
    const { rows: indexes } = await client.query<{ name: string; def: string }>(
      `SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def
       FROM pg_index WHERE indrelid = 'x402_prompt_template_usage_logs'::regclass AND NOT indisprimary`,
    );
    for (const index of indexes) await client.query(`DROP INDEX ${index.name}`);
    // Two runs share each timestamp in the hot pair, so keyset pages must break ties on id.
    const rowSql = (count: number, template: string, caller: string, spacing: string) =>
      `INSERT INTO x402_prompt_template_usage_logs
         (template_id, caller_id, status, error_message, input_tokens, output_tokens, amount_paid,
          network, created_at, execution_time_ms, completed_at)
       SELECT template_id, caller_id, status,
              CASE WHEN status = 'failed' THEN 'Anthropic API error 529 overloaded_error: Overloaded' END,
              (20 + random() * 400)::int, (50 + random() * 800)::int,
              0, NULL,
              created_at, ms, created_at + ms * interval '1 millisecond'
       FROM (
         SELECT ${template} AS template_id, ${caller} AS caller_id,
                CASE WHEN random() < 0.05 THEN 'failed' ELSE 'success' END AS status,
                date_trunc('milliseconds', timestamptz '2026-01-01' - ${spacing}) AS created_at,
                (300 + random() * 4000)::int AS ms
         FROM generate_series(1, ${count}) i
       ) g`;
    await client.query(
      rowSql(
        hot,
        `'${HOT_TEMPLATE}'::uuid`,
        `'${ACTORS.hotCaller}'::uuid`,
        `(i / 2) * interval '7 seconds'`,
      ),
    );
    await client.query(
      rowSql(
        hotOthers,
        `'${HOT_TEMPLATE}'::uuid`,
        `md5('bench-user-' || (1 + i % ${THIN_USERS}))::uuid`,
        `random() * interval '365 days'`,
      ),
    );
    await client.query(
      rowSql(
        thin,
        `md5('bench-template-' || (1 + (random() * ${THIN_TEMPLATES - 1})::int))::uuid`,
        `md5('bench-user-' || (1 + (random() * ${THIN_USERS - 1})::int))::uuid`,
        `random() * interval '365 days'`,
      ),
    );
    for (const index of indexes) await client.query(index.def);
    await rebuildTriggerState(client);
    await client.query(
      'CREATE TABLE bench_dataset (fingerprint TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    await client.query('INSERT INTO bench_dataset (fingerprint) VALUES ($1)', [
      await fingerprint(mode),
    ]);
    await client.query('COMMIT');
    // Fresh statistics and a visibility map, as a long-lived table would have.
    await client.query('VACUUM ANALYZE');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}
