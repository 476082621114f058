/**
 * Workload 4: executeTemplate against the fake model.
 *   a. 0 ms model, one run at a time: promptmeter's per-run overhead (its latency against the
 *      same SDK call made directly), and the round trips to the database (and the SQL
 *      statements they carry) each run makes.
 *   b. 2 s model: overhead on top of the model's 2 s.
 *   c. `runsInFlight` runs at once on a pool of 10 with the 2 s model: all must succeed and be
 *      logged, and they must all be waiting on the model at the same time — impossible if a run
 *      held a pool connection while it waited. pg_stat_activity is watched meanwhile.
 */
import pg from 'pg';
import { createAuthenticator } from '../../server/src/testing.ts';
import type { FakeModel } from '../clients/fake-model.ts';
import { executeRun, type RunOutcome } from '../clients/run-client.ts';
import { ACTORS, type Dataset } from '../dataset/dataset.ts';
import { JWT_SECRET, type Mode } from '../harness/config.ts';
import type { ServerProcess } from '../harness/processes.ts';
import { quantile, type Spread, shuffled, spread } from '../harness/stats.ts';
import type { Check } from './check.ts';

const MODEL_MS = 2000;
const POOL_SIZE = 10;

export interface RunsResult {
  checks: Check[];
  zero: {
    /** Per round: p50 of promptmeter's run latency, and of the direct SDK call. */
    runP50: number[];
    directP50: number[];
    /** run p50 − direct p50 (ms), and run p50 / direct p50, over rounds. */
    overheadMs: Spread;
    ratio: Spread;
    p99: number[];
    roundTripsPerRun: number;
    statementsPerRun: number;
  };
  slow: { runs: number; overheadP50Ms: number; overheadP99Ms: number };
  inFlight: {
    runs: number;
    succeeded: number;
    logged: number;
    wallSeconds: number;
    /** Model requests received before the first could have been answered. */
    awaitingModelAtOnce: number;
    maxInTransaction: number;
    maxActive: number;
  };
}

export async function runRunWorkloads(
  promptmeter: ServerProcess,
  model: FakeModel,
  dataset: Dataset,
  mode: Mode,
  log: (line: string) => void,
): Promise<RunsResult> {
  const token = await createAuthenticator(JWT_SECRET).mint(
    { sub: ACTORS.runner, name: 'Bench Runner' },
    '1d',
  );
  let seq = 0;
  const run = () => executeRun(promptmeter.url, token, ++seq);
  const checks: Check[] = [];

  // a. 0 ms model.
  model.setLatency(0);
  const direct = model.direct();
  for (let i = 0; i < 20; i++) await Promise.all([run(), direct()]); // warm both paths
  const runP50: number[] = [];
  const directP50: number[] = [];
  const p99: number[] = [];
  let roundTrips = 0;
  let statements = 0;
  let measuredRuns = 0;
  let failures = 0;
  for (let round = 0; round < mode.rounds; round++) {
    for (const which of shuffled(['run', 'direct'] as const)) {
      const latencies: number[] = [];
      const before = await promptmeter.sample();
      for (let i = 0; i < mode.runsPerRound; i++) {
        if (which === 'run') {
          const result = await run();
          if (!result.ok) failures++;
          latencies.push(result.ms);
        } else {
          const started = performance.now();
          const result = await direct();
          if (!result.ok) failures++;
          latencies.push(performance.now() - started);
        }
      }
      latencies.sort((a, b) => a - b);
      if (which === 'run') {
        const after = await promptmeter.sample();
        roundTrips += (after.counters.roundTrips ?? 0) - (before.counters.roundTrips ?? 0);
        statements += (after.counters.statements ?? 0) - (before.counters.statements ?? 0);
        measuredRuns += mode.runsPerRound;
        runP50.push(quantile(latencies, 0.5));
        p99.push(quantile(latencies, 0.99));
      } else {
        directP50.push(quantile(latencies, 0.5));
      }
    }
    log(
      `  runs round ${round + 1}: run p50 ${runP50.at(-1)?.toFixed(2)} ms, direct model call p50 ${directP50.at(-1)?.toFixed(2)} ms`,
    );
  }
  checks.push({
    name: 'every 0 ms run succeeded',
    ok: failures === 0,
    detail: `${failures} failed`,
  });

  // b. 2 s model: a batch at once (well under the pool size's worth of DB work at a time).
  model.setLatency(MODEL_MS);
  const slowRuns = await Promise.all(Array.from({ length: 20 }, () => run()));
  const overheads = slowRuns.map((r) => r.ms - MODEL_MS).sort((a, b) => a - b);
  checks.push({
    name: 'every 2 s run succeeded',
    ok: slowRuns.every((r) => r.ok),
    detail: `${slowRuns.filter((r) => !r.ok).length} failed ${slowRuns.find((r) => !r.ok)?.error ?? ''}`,
  });
  log(`  2 s model: overhead p50 ${quantile(overheads, 0.5).toFixed(1)} ms`);

  // c. Many runs in flight on a pool of 10.
  const inFlight = await manyInFlight(run, model, dataset, mode.runsInFlight, log);
  checks.push({
    name: `${mode.runsInFlight} runs in flight on a pool of 10 all succeed`,
    ok: inFlight.succeeded === mode.runsInFlight,
    detail: `${inFlight.succeeded} succeeded in ${inFlight.wallSeconds.toFixed(1)} s${inFlight.firstError ? `; first error: ${inFlight.firstError}` : ''}`,
  });
  checks.push({
    name: `${mode.runsInFlight} runs in flight: each is logged as success`,
    ok: inFlight.logged === mode.runsInFlight,
    detail: `${inFlight.logged} success rows`,
  });
  // Were a connection held across the model call, at most POOL_SIZE runs could await the model
  // at once, and the batch would need runs × 2 s / POOL_SIZE.
  const heldBound = (mode.runsInFlight * MODEL_MS) / POOL_SIZE / 1000;
  checks.push({
    name: 'no pool connection is held while the model is awaited',
    ok: inFlight.awaitingModelAtOnce > POOL_SIZE && inFlight.wallSeconds < heldBound,
    detail: `up to ${inFlight.awaitingModelAtOnce} runs awaited the model at once (≤ ${POOL_SIZE} if connections were held); ${inFlight.wallSeconds.toFixed(1)} s for the batch (≥ ${heldBound} s if they were)`,
  });
  model.setLatency(0);
  return {
    checks,
    zero: {
      runP50,
      directP50,
      overheadMs: spread(runP50.map((value, i) => value - (directP50[i] as number))),
      ratio: spread(runP50.map((value, i) => value / (directP50[i] as number))),
      p99,
      roundTripsPerRun: roundTrips / measuredRuns,
      statementsPerRun: statements / measuredRuns,
    },
    slow: {
      runs: slowRuns.length,
      overheadP50Ms: quantile(overheads, 0.5),
      overheadP99Ms: quantile(overheads, 0.99),
    },
    inFlight,
  };
}

async function manyInFlight(
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
