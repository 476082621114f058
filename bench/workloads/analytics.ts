/**
 * Workload 8 (issue 14): an owner's analytics and export on one template with `analyticsRuns`
 * runs over 30 days (100,000 in full mode), in its own database.
 *
 * - Analytics: p50 latency of templateAnalytics (LAST_30_DAYS, America/New_York, every field) over
 *   HTTP on loopback, and the server's CPU per request, against the same answer computed from the
 *   raw rows in one SQL statement (p50 on a direct connection, no RLS: the baseline is favoured).
 * - Export: rows/s of GET /export/executions (CSV, all rows) against COPY … TO STDOUT (CSV) of the
 *   same rows, read by psql.
 * Behaviour checks (also in --quick): the API's totals equal the raw SQL's; the export has as many
 * rows as COPY.
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import {
  createAuthenticator,
  demoUserId,
  migrate,
  openDatabase,
} from '../../server/src/testing.ts';
import { databaseUrl, JWT_SECRET, type Mode, PG_ADMIN_URL } from '../harness/config.ts';
import { cpuBetween, type ServerProcess } from '../harness/processes.ts';

export interface AnalyticsResult {
  runs: number;
  analyticsP50Ms: number;
  analyticsCpuMsPerRequest: number;
  rawSqlP50Ms: number;
  exportRowsPerSecond: number;
  copyRowsPerSecond: number;
  /** Median of the rounds' export/COPY rows/s ratios, and their range. */
  exportRatio: number;
  exportRatioRange: [number, number];
  checks: { name: string; ok: boolean; detail: string }[];
}

const OWNER = demoUserId('bench-analytics-owner');
const TEMPLATE = '0000a7a1-0000-4000-8000-000000000001';
const LOG = 'x402_prompt_template_usage_logs';

const QUERY = /* GraphQL */ `
  query($t: ID!) {
    templateAnalytics(templateId: $t, range: { preset: LAST_30_DAYS }, timeZone: "America/New_York") {
      totals { runs succeeded failed revenueUsdc distinctCallers anonymousPayers executionTimeMs { p50 p95 p99 } }
      previous { runs revenueUsdc }
      buckets { start runs succeeded failed running revenueUsdc executionTimeMs { p50 p95 p99 } }
      topCallersByRuns { payerAddress runs revenueUsdc }
      topCallersByRevenue { payerAddress runs revenueUsdc }
      topErrors { message runs }
    }
  }
`;

/** The same answer from the raw rows: day buckets in the zone, totals, percentiles, tops. */
const RAW_SQL = `
  WITH r AS (SELECT * FROM ${LOG} WHERE template_id = '${TEMPLATE}'
               AND created_at >= ((now() AT TIME ZONE 'America/New_York')::date - 29)::timestamp AT TIME ZONE 'America/New_York'),
  b AS (SELECT (created_at AT TIME ZONE 'America/New_York')::date AS day, count(*) AS runs,
          count(*) FILTER (WHERE status = 'success') AS ok, count(*) FILTER (WHERE status = 'failed') AS failed,
          sum(amount_paid) AS revenue,
          percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY execution_time_ms) AS p
        FROM r GROUP BY 1),
  t AS (SELECT count(*) AS runs, sum(amount_paid) AS revenue, count(DISTINCT caller_id) AS callers,
          count(DISTINCT payer_address) FILTER (WHERE caller_id IS NULL) AS payers,
          percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY execution_time_ms) AS p FROM r),
  c AS (SELECT coalesce(caller_id::text, payer_address) AS k, count(*) AS n, sum(amount_paid) AS s FROM r GROUP BY 1),
  e AS (SELECT error_message, count(*) AS n FROM r WHERE status = 'failed' GROUP BY 1 ORDER BY 2 DESC LIMIT 10)
  SELECT (SELECT json_agg(b ORDER BY day) FROM b) AS buckets, (SELECT row_to_json(t) FROM t) AS totals,
         (SELECT json_agg(x) FROM (SELECT * FROM c ORDER BY n DESC LIMIT 10) x) AS by_runs,
         (SELECT json_agg(x) FROM (SELECT * FROM c ORDER BY s DESC LIMIT 10) x) AS by_revenue,
         (SELECT json_agg(e) FROM e) AS errors`;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/** The workload's database: migrated, seeded once (rollups kept by the trigger as rows go in). */
export async function ensureAnalyticsDatabase(mode: Mode, log: (line: string) => void) {
  const name = `${mode.database}_analytics`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = databaseUrl(name);
  const db = await openDatabase({ databaseUrl: url });
  await migrate(db);
  const runs = mode.name === 'full' ? 100_000 : 10_000;
  const [present] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${LOG} WHERE template_id = $1`,
    [TEMPLATE],
  );
  if ((present?.n ?? 0) !== runs) {
    const started = performance.now();
    await db.exec(`
      DELETE FROM templates WHERE id = '${TEMPLATE}';
      INSERT INTO users (id, name) VALUES ('${OWNER}', 'bench analytics owner') ON CONFLICT DO NOTHING;
      INSERT INTO users (id, name) SELECT ('0000a7a2-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'caller ' || n
        FROM generate_series(1, 200) n ON CONFLICT DO NOTHING;`);
    const [server] = await db.query<{ id: string }>(
      `INSERT INTO servers (name, registered_by) VALUES ('bench analytics', $1) RETURNING id`,
      [OWNER],
    );
    await db.query(
      `INSERT INTO templates (id, server_id, name, description, prompt, model, max_tokens, price_usdc, pay_to, network)
       VALUES ($1, $2, 'analytics', '', 'p', 'm', 10, '0.01', '0x${'1'.repeat(40)}', 'eip155:84532')`,
      [TEMPLATE, server?.id],
    );
    // A tenth anonymous payers, a third paid, a sixth failed; ~30 days, newest now.
    for (let from = 0; from < runs; from += 10_000) {
      await db.exec(`
        INSERT INTO ${LOG} (template_id, caller_id, payer_address, status, error_message, amount_paid,
          payment_signature, payment_transaction, network, input_tokens, output_tokens, execution_time_ms, created_at, completed_at)
        SELECT '${TEMPLATE}', CASE WHEN n % 10 = 0 THEN NULL ELSE ('0000a7a2-0000-4000-8000-' || lpad((n % 200 + 1)::text, 12, '0'))::uuid END,
          CASE WHEN n % 10 = 0 OR n % 3 = 0 THEN '0x' || lpad(to_hex(n % 997), 40, '0') END,
          CASE WHEN n % 6 = 0 THEN 'failed' ELSE 'success' END,
          CASE WHEN n % 6 = 0 THEN 'error ' || (n % 7) END,
          CASE WHEN n % 3 = 0 AND n % 6 <> 0 THEN 0.01 ELSE 0 END,
          CASE WHEN n % 3 = 0 AND n % 6 <> 0 THEN 'sig' END, CASE WHEN n % 3 = 0 AND n % 6 <> 0 THEN 'tx' END,
          CASE WHEN n % 3 = 0 AND n % 6 <> 0 THEN 'eip155:84532' END,
          n % 900, n % 1300, 200 + (n * 7919) % 4000,
          now() - (n * interval '1 second') * (2592000.0 / ${runs}), now() - (n * interval '1 second') * (2592000.0 / ${runs})
        FROM generate_series(${from + 1}, ${Math.min(from + 10_000, runs)}) n`);
    }
    // Fresh statistics and a visibility map, as long-lived tables have (autovacuum): the trigger
    // left a dead row version for every rollup update of the bulk load.
    await db.exec('VACUUM ANALYZE');
    log(
      `analytics dataset: ${runs} runs written (rollups by trigger) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  await db.close();
  return { url, runs };
}

export async function runAnalyticsWorkloads(
  mode: Mode,
  server: ServerProcess,
  url: string,
  runs: number,
  log: (line: string) => void,
): Promise<AnalyticsResult> {
  const token = await createAuthenticator(JWT_SECRET).mint({ sub: OWNER, name: 'owner' }, '1d');
  const templateId = Buffer.from(`Template:${TEMPLATE}`).toString('base64');
  // The two answers this workload reads.
  interface Answer {
    templateAnalytics: {
      totals: {
        runs: number;
        distinctCallers: number;
        anonymousPayers: number;
        revenueUsdc: string;
      };
    };
    createExecutionExport: { path: string };
  }
  interface RawTotals {
    totals: { runs: string; callers: string; payers: string; revenue: string | null };
  }
  const ask = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data: Answer; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const requests = mode.name === 'full' ? 200 : 20;
  const checks: AnalyticsResult['checks'] = [];

  for (let n = 0; n < 5; n++) await ask(QUERY, { t: templateId });
  const times: number[] = [];
  const before = await server.sample();
  let answer: Answer | undefined;
  for (let n = 0; n < requests; n++) {
    const started = performance.now();
    answer = await ask(QUERY, { t: templateId });
    times.push(performance.now() - started);
  }
  const cpuMs = cpuBetween(before, await server.sample()) / 1000 / requests;

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rawTimes: number[] = [];
  let raw: RawTotals | undefined;
  for (let n = 0; n < Math.max(10, requests / 4); n++) {
    const started = performance.now();
    raw = (await client.query(RAW_SQL)).rows[0];
    rawTimes.push(performance.now() - started);
  }
  if (!answer || !raw) throw new Error('analytics: no answer measured');
  const totals = answer.templateAnalytics.totals;
  checks.push({
    name: 'analytics totals equal SQL over the raw rows',
    ok:
      totals.runs === Number(raw.totals.runs) &&
      totals.distinctCallers === Number(raw.totals.callers) &&
      totals.anonymousPayers === Number(raw.totals.payers) &&
      Number(totals.revenueUsdc) === Number(raw.totals.revenue ?? 0),
    detail: `API ${JSON.stringify(totals)}; SQL ${JSON.stringify(raw.totals)}`,
  });

  // Export: all rows, CSV, against COPY of the same rows, in interleaved rounds (the ratio of
  // each round; their median): on a shared machine one pair moves by ±40%.
  const exportRounds = mode.name === 'full' ? 5 : 1;
  const exportTimes: number[] = [];
  const copyTimes: number[] = [];
  const ratios: number[] = [];
  let lines = 0;
  let copyLines = 0;
  for (let round = 0; round < exportRounds; round++) {
    const link = await ask(
      `mutation($t: ID!) { createExecutionExport(templateId: $t, format: CSV) { path } }`,
      { t: templateId },
    );
    const exportStarted = performance.now();
    const response = await fetch(`${server.url}${link.createExecutionExport.path}`);
    lines = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      lines += countLines(chunk);
    }
    exportTimes.push((performance.now() - exportStarted) / 1000);
    const copyStarted = performance.now();
    copyLines = await copyLineCount(
      url,
      `COPY (SELECT * FROM ${LOG} WHERE template_id = '${TEMPLATE}' ORDER BY created_at DESC, id DESC) TO STDOUT WITH (FORMAT csv, HEADER)`,
    );
    copyTimes.push((performance.now() - copyStarted) / 1000);
    ratios.push((copyTimes.at(-1) as number) / (exportTimes.at(-1) as number));
  }
  await client.end();
  checks.push({
    name: 'the export has every row COPY has',
    ok: lines === copyLines && lines === runs + 1,
    detail: `export ${lines} lines, COPY ${copyLines}`,
  });
  const result: AnalyticsResult = {
    runs,
    analyticsP50Ms: median(times),
    analyticsCpuMsPerRequest: cpuMs,
    rawSqlP50Ms: median(rawTimes),
    exportRowsPerSecond: runs / median(exportTimes),
    copyRowsPerSecond: runs / median(copyTimes),
    exportRatio: median(ratios),
    exportRatioRange: [Math.min(...ratios), Math.max(...ratios)],
    checks,
  };
  log(
    `analytics p50 ${result.analyticsP50Ms.toFixed(1)} ms (server CPU ${cpuMs.toFixed(1)} ms/request) vs raw SQL p50 ${result.rawSqlP50Ms.toFixed(1)} ms: ${(result.rawSqlP50Ms / result.analyticsP50Ms).toFixed(1)}×; export ${Math.round(result.exportRowsPerSecond)} rows/s vs COPY ${Math.round(result.copyRowsPerSecond)} rows/s: ${result.exportRatio.toFixed(2)}× (${result.exportRatioRange.map((ratio) => ratio.toFixed(2)).join('-')}, ${exportRounds} rounds)`,
  );
  for (const check of checks) if (!check.ok) log(`FAILED: ${check.name}: ${check.detail}`);
  return result;
}

/** Line ends in `chunk` (indexOf: the same cheap count for the export and for COPY). */
function countLines(chunk: Uint8Array) {
  let lines = 0;
  for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) lines++;
  return lines;
}

/** Lines psql reads from a COPY … TO STDOUT. */
function copyLineCount(url: string, copy: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const psql = spawn('psql', [url, '-X', '-q', '-c', copy], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let lines = 0;
    psql.stdout.on('data', (chunk: Buffer) => {
      lines += countLines(chunk);
    });
    psql.on('error', reject);
    psql.on('close', (code) =>
      code === 0 ? resolve(lines) : reject(new Error(`psql exited ${code}`)),
    );
  });
}
