import pg from 'pg';
import type { FakeModel } from '../clients/fake-model.ts';
import type { RunOutcome } from '../clients/run-client.ts';
import type { Dataset } from '../dataset/dataset.ts';

/** The slow model's latency in workload 4b and 4c. */
export const MODEL_MS = 2000;

/**
 * Workload 4c: `count` runs at once against the slow model, while pg_stat_activity is watched;
 * how many succeeded and were logged, and how many awaited the model at the same time.
 */
export async function manyInFlight(
  run: () => Promise<RunOutcome>,
  model: FakeModel,
  dataset: Dataset,
  count: number,
  log: (line: string) => void,
) {
  const db = new pg.Client({ connectionString: dataset.url });
  await db.connect();
  const receivedBefore = model.received;
  let maxInTransaction = 0;
  let maxActive = 0;
  let watching = true;
  // The server's connections, seen from PostgreSQL, every 50 ms while the runs are out.
  const watcher = (async () => {
    while (watching) {
      const { rows } = await db.query<{ state: string; n: string }>(
        `SELECT state, count(*) AS n FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY state`,
      );
      for (const row of rows) {
        if (row.state === 'idle in transaction')
          maxInTransaction = Math.max(maxInTransaction, Number(row.n));
        if (row.state === 'active') maxActive = Math.max(maxActive, Number(row.n));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const started = performance.now();
  // Every model call takes exactly 2 s, so the calls received in the last 2 s are the ones the
  // model holds right now: the peak of that is how many runs awaited the model at once.
  const received: Array<[number, number]> = [];
  const sampler = setInterval(() => {
    received.push([performance.now(), model.received - receivedBefore]);
  }, 20);
  const results = await Promise.all(Array.from({ length: count }, () => run()));
  const wallSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  let awaitingModelAtOnce = 0;
  for (const [at, total] of received) {
    const earlier = received.findLast(([t]) => t <= at - MODEL_MS)?.[1] ?? 0;
    awaitingModelAtOnce = Math.max(awaitingModelAtOnce, total - earlier);
  }
  watching = false;
  await watcher;
  const ids = results.flatMap((r) => (r.id ? [r.id] : []));
  const { rows } = await db.query(
    `SELECT count(*) AS n FROM x402_prompt_template_usage_logs WHERE id = ANY($1::uuid[]) AND status = 'success'`,
    [ids],
  );
  await db.end();
  const succeeded = results.filter((r) => r.ok).length;
  log(
    `  ${count} in flight: ${succeeded} succeeded in ${wallSeconds.toFixed(1)} s, up to ${awaitingModelAtOnce} awaited the model at once, max ${maxInTransaction} connections idle in transaction`,
  );
  return {
    runs: count,
    succeeded,
    logged: Number(rows[0].n),
    wallSeconds,
    awaitingModelAtOnce,
    maxInTransaction,
    maxActive,
    firstError: results.find((r) => !r.ok)?.error ?? null,
  };
}
