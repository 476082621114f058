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
import { createAuthenticator } from '../../server/src/testing.ts';
import type { FakeModel } from '../clients/fake-model.ts';
import { executeRun, type RunOutcome } from '../clients/run-client.ts';
import { ACTORS } from '../dataset/actors.ts';
import type { Dataset } from '../dataset/dataset.ts';
import { JWT_SECRET, type Mode } from '../harness/config.ts';
import type { ServerProcess } from '../harness/processes.ts';
import { quantile, type Spread, shuffled, spread } from '../harness/stats.ts';
import type { Check } from './check.ts';
import { MODEL_MS, manyInFlight } from './runs-in-flight.ts';

/** The promptmeter server's pool (DATABASE_POOL_SIZE, set by harness/processes.ts). */
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
  const zero = await zeroLatencyRuns(promptmeter, run, model, mode, log);
  checks.push({
    name: 'every 0 ms run succeeded',
    ok: zero.failures === 0,
    detail: `${zero.failures} failed`,
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
    zero: zero.result,
    slow: {
      runs: slowRuns.length,
      overheadP50Ms: quantile(overheads, 0.5),
      overheadP99Ms: quantile(overheads, 0.99),
    },
    inFlight,
  };
}

/** Workload 4a: runs and direct model calls, one at a time, interleaved by round. */
async function zeroLatencyRuns(
  promptmeter: ServerProcess,
  run: () => Promise<RunOutcome>,
  model: FakeModel,
  mode: Mode,
  log: (line: string) => void,
): Promise<{ result: RunsResult['zero']; failures: number }> {
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
  return {
    result: {
      runP50,
      directP50,
      overheadMs: spread(runP50.map((value, i) => value - (directP50[i] as number))),
      ratio: spread(runP50.map((value, i) => value / (directP50[i] as number))),
      p99,
      roundTripsPerRun: roundTrips / measuredRuns,
      statementsPerRun: statements / measuredRuns,
    },
    failures,
  };
}
