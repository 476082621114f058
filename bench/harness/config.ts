import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
export const OUT_DIR = `${BENCH_DIR}out`;

/** The machine's services (see shared notes): trust auth on loopback. */
export const PG_ADMIN_URL =
  process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Only the bench's servers trust it; at least 32 characters, as the server requires. */
export const JWT_SECRET = 'promptmeter-bench-secret-0123456789abcdef';

export interface Mode {
  name: 'full' | 'quick';
  database: string;
  /** Log rows in the dataset; the hot template/caller pair holds a tenth of them. */
  rows: number;
  /** How many rows in the deep page's cursor sits (within the hot pair). */
  deepOffset: number;
  /** Interleaved rounds of each HTTP workload; ratios are taken per round. */
  rounds: number;
  warmupSeconds: number;
  windowSeconds: number;
  /** Closed-loop concurrency of the throughput windows. */
  connections: number;
  /** Runs per round of the run-overhead workload (sequential, one at a time). */
  runsPerRound: number;
  runsInFlight: number;
  subscriberCounts: number[];
  /** Runs fired per fan-out step, one every `eventIntervalMs`. */
  fanoutEvents: number;
  eventIntervalMs: number;
  /**
   * Distinct viewers at the largest fan-out step (the owner, the caller and this many minus two
   * strangers, each a user of its own): the feed asks RLS about each of them per event.
   */
  distinctViewers: number;
  coldStartRounds: number;
}

export const MODES: Record<Mode['name'], Mode> = {
  full: {
    name: 'full',
    // BENCH_DATABASE: run against a copy (e.g. one with a migration under trial).
    database: process.env.BENCH_DATABASE ?? 'promptmeter_bench',
    rows: 1_000_000,
    deepOffset: 90_000,
    rounds: 5,
    warmupSeconds: 3,
    windowSeconds: 10,
    connections: 16,
    runsPerRound: 200,
    runsInFlight: 1000,
    subscriberCounts: [1000, 5000, 10_000],
    fanoutEvents: 20,
    eventIntervalMs: 500,
    distinctViewers: 2000,
    coldStartRounds: 3,
  },
  quick: {
    name: 'quick',
    // BENCH_DATABASE: as in full mode (e.g. not to regenerate a shared quick dataset).
    database: process.env.BENCH_DATABASE ?? 'promptmeter_bench_quick',
    rows: 100_000,
    deepOffset: 9_000,
    rounds: 2,
    warmupSeconds: 1,
    windowSeconds: 1,
    connections: 8,
    runsPerRound: 30,
    runsInFlight: 1000,
    subscriberCounts: [200],
    fanoutEvents: 5,
    eventIntervalMs: 200,
    distinctViewers: 50,
    coldStartRounds: 1,
  },
};

export const databaseUrl = (database: string) => {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
};

/** promptmeter's environment in every bench process, its model at `modelUrl`. */
export const promptmeterBenchEnv = (modelUrl: string) => ({
  PORT: '0',
  HOST: '127.0.0.1',
  SEED_DEMO: 'false',
  REDIS_URL,
  ANTHROPIC_API_KEY: 'bench',
  ANTHROPIC_BASE_URL: modelUrl,
  ANTHROPIC_MAX_RETRIES: '0',
  // The bench's templates are free; payments never run, but production mode asks for a choice.
  X402_ALLOW_SIMULATED: 'true',
  // The load comes from one address and a few users, far past the production limits: the bench
  // measures throughput, so they are off (their cost per run is in README "Quotas and rate limits").
  RATE_LIMIT_RUNS_PER_USER_PER_MINUTE: '0',
  RATE_LIMIT_RUNS_PER_IP_PER_MINUTE: '0',
  RATE_LIMIT_FREE_RUNS_PER_TEMPLATE_PER_MINUTE: '0',
  RATE_LIMIT_FREE_RUNS_PER_USER_PER_DAY: '0',
  RATE_LIMIT_RUNS_PER_PAYER_PER_MINUTE: '0',
  RATE_LIMIT_PUBLICATIONS_PER_USER_PER_HOUR: '0',
  RATE_LIMIT_PUBLICATIONS_PER_IP_PER_HOUR: '0',
});
