import type { Database } from '../../src/db/database.ts';
import type { TestApp } from './test-app.ts';

/** Writes execution-log rows straight into the database (as the run pipeline would: running, then final). */

export const LOG = 'x402_prompt_template_usage_logs';

/** A small seeded PRNG (mulberry32): a failing seed reproduces. */
export function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(values: readonly T[]) => values[Math.floor(next() * values.length)] as T,
    chance: (p: number) => next() < p,
  };
}

export const uuidFrom = (n: number, prefix = '0000') =>
  `${prefix.padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export async function insertUsers(db: Database, users: { id: string; name: string }[]) {
  for (const user of users) {
    await db.query('INSERT INTO users (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [
      user.id,
      user.name,
    ]);
  }
}

/** A user `name` of `app` who owns template `templateId`: their id and an API token. */
export async function insertOwnedTemplate(app: TestApp, name: string, templateId: string) {
  const ownerId = app.userId(name);
  await insertUsers(app.db, [{ id: ownerId, name }]);
  await insertTemplate(app.db, templateId, ownerId);
  return { ownerId, token: await app.token(name) };
}

/** A template on a new server registered by `ownerId`. */
export async function insertTemplate(db: Database, id: string, ownerId: string, name = 't') {
  const [server] = await db.query<{ id: string }>(
    'INSERT INTO servers (name, registered_by) VALUES ($1, $2) RETURNING id',
    [`${name} server`, ownerId],
  );
  await db.query(
    `INSERT INTO templates (id, server_id, name, description, prompt, model, max_tokens, price_usdc, pay_to, network)
     VALUES ($1, $2, $3, '', 'p', 'm', 10, '0.25', '0x${'1'.repeat(40)}', 'eip155:84532')`,
    [id, server?.id, name],
  );
}

/**
 * SQL that writes `rows` runs of a template straight into the log, a second apart from
 * 2026-01-01 (row n at 2026-01-01 + n s, `n` usable in `columns`: each column's SQL expression).
 * A fixture, not runs: the log's triggers (counters, positions, rollups) are off for the load.
 * Then ANALYZE, as autovacuum would after a bulk load on PostgreSQL (PGlite has none): without
 * statistics the planner sorts the template's rows for every page instead of walking the index.
 */
export function bulkRunsSql(templateId: string, rows: number, columns: Record<string, string>) {
  const names = Object.keys(columns).join(', ');
  const values = Object.values(columns).join(', ');
  return `
    ALTER TABLE ${LOG} DISABLE TRIGGER USER;
    INSERT INTO ${LOG} (template_id, ${names}, created_at, completed_at)
      SELECT '${templateId}', ${values}, timestamptz '2026-01-01' + n * interval '1 second',
             timestamptz '2026-01-01' + n * interval '1 second'
      FROM generate_series(1, ${rows}) AS n;
    ALTER TABLE ${LOG} ENABLE TRIGGER USER;
    ANALYZE ${LOG};`;
}

/** The line ends in a chunk of a downloaded export (CSV or NDJSON), without decoding it. */
export function countLines(bytes: Uint8Array) {
  let lines = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) lines++;
  return lines;
}

export interface RandomRunsOptions {
  templateId: string;
  callers: string[];
  payers: string[];
  count: number;
  from: Date;
  to: Date;
  seed: number;
  idPrefix?: string;
}

const ERRORS = ['interrupted', 'model overloaded', 'timeout after 60 s', `=cmd|' /C calc'!A0`];

/**
 * `count` runs created at random in [from, to): each inserted running, most then completed, some
 * of those overwritten once more (recovery replacing "interrupted"), a few left running.
 */
export async function insertRandomRuns(db: Database, options: RandomRunsOptions) {
  const rng = random(options.seed);
  const span = options.to.getTime() - options.from.getTime();
  const statements: string[] = [];
  for (let n = 0; n < options.count; n++) {
    const id = uuidFrom(n + 1, options.idPrefix ?? options.seed.toString(16).slice(0, 8));
    const createdAt = new Date(options.from.getTime() + Math.floor(rng.next() * span));
    const anonymous = rng.chance(0.25);
    const caller = anonymous ? null : rng.pick(options.callers);
    const payer = anonymous || rng.chance(0.3) ? rng.pick(options.payers) : null;
    const q = (value: string | null) => (value === null ? 'NULL' : `'${value}'`);
    statements.push(
      `INSERT INTO ${LOG} (id, template_id, caller_id, payer_address, status, created_at) VALUES ('${id}', '${options.templateId}', ${q(caller)}, ${q(payer)}, 'running', '${createdAt.toISOString()}')`,
    );
    const final = () => {
      const ms = rng.chance(0.05)
        ? rng.int(0, 3)
        : Math.round(Math.exp(6.5 + rng.next() * 2.5 + rng.next() * 1.5));
      const completedAt = new Date(createdAt.getTime() + ms).toISOString();
      if (rng.chance(0.3)) {
        const error = rng.pick(ERRORS);
        return `UPDATE ${LOG} SET status = 'failed', error_message = '${error.replaceAll("'", "''")}', execution_time_ms = ${ms}, completed_at = '${completedAt}', input_tokens = ${rng.chance(0.5) ? rng.int(0, 500) : 'NULL'}, output_tokens = NULL, amount_paid = 0, payment_signature = NULL, payment_transaction = NULL WHERE id = '${id}'`;
      }
      const paid = payer !== null && rng.chance(0.7);
      const amount = paid ? (rng.int(1, 5_000_000) / 1e6).toFixed(6) : '0';
      const payment = paid
        ? `, payment_signature = '0xsig${n}', payment_transaction = '0xtx${n}', network = 'eip155:84532'`
        : '';
      return `UPDATE ${LOG} SET status = 'success', error_message = NULL, execution_time_ms = ${ms}, completed_at = '${completedAt}', input_tokens = ${rng.int(1, 3000)}, output_tokens = ${rng.int(1, 4000)}, amount_paid = ${amount}${payment} WHERE id = '${id}'`;
    };
    if (rng.chance(0.05)) continue;
    statements.push(final());
    if (rng.chance(0.1)) statements.push(final());
  }
  for (let start = 0; start < statements.length; start += 500) {
    await db.exec(statements.slice(start, start + 500).join(';\n'));
  }
}

/** The analytics query with every field, as the tests send it. */
export const ANALYTICS = /* GraphQL */ `
  query Analytics($templateId: ID, $range: AnalyticsRangeInput!, $timeZone: String!, $granularity: AnalyticsGranularity, $top: Int) {
    templateAnalytics(templateId: $templateId, range: $range, timeZone: $timeZone, granularity: $granularity, top: $top) {
      timeZone granularity
      totals { ...Totals }
      previous { ...Totals }
      buckets { start end distinctCallers anonymousPayers ...Counters }
      topCallersByRuns { caller { id name } payerAddress runs revenueUsdc }
      topCallersByRevenue { caller { id name } payerAddress runs revenueUsdc }
      topErrors { message runs }
    }
  }
  fragment Counters on AnalyticsBucket {
    runs running succeeded failed successRate paidRuns freeRuns inputTokens outputTokens revenueUsdc
    executionTimeMs { runs p50 p95 p99 }
  }
  fragment Totals on AnalyticsTotals {
    from to runs running succeeded failed successRate paidRuns freeRuns inputTokens outputTokens
    revenueUsdc distinctCallers anonymousPayers executionTimeMs { runs p50 p95 p99 }
  }
`;
