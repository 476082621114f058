/**
 * `npm run bench [-- --quick] [--only=1,4] [--rounds=N] [--out=FILE] [--no-profile] [--render]`
 *
 * --only=… reruns some workloads and merges them into the last results of the same mode
 * (bench/out/results-<mode>.json), so the report stays whole; --render only rewrites the report
 * from those results (e.g. after editing bench/analysis.md).
 *
 * Builds (or reuses) the dataset, starts F, P and O, checks they agree, runs workloads 1-6
 * and writes BENCHMARKS.md (quick mode: bench/out/BENCHMARKS.quick.md, so a smoke run never
 * overwrites the full numbers). Exits non-zero only when a behaviour check fails — never
 * because of a timing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createAuthenticator } from '../server/src/auth/authenticator.ts';
import { FakeModel } from './clients/fake-model.ts';
import { hotCallerToken, pageTarget, type Side } from './clients/page-requests.ts';
import { executeRun } from './clients/run-client.ts';
import { ACTORS, ensureDataset } from './dataset/dataset.ts';
import { BENCH_DIR, JWT_SECRET, MODES, OUT_DIR, REDIS_URL, ROOT } from './harness/config.ts';
import { ensureBenchDependencies } from './harness/deps.ts';
import { describeEnvironment } from './harness/environment.ts';
import { explainPages } from './harness/explain.ts';
import { loadWindow } from './harness/load.ts';
import { type ServerProcess, startServerProcess } from './harness/processes.ts';
import { summariseProfile } from './harness/profile.ts';
import { renderReport } from './report/render.ts';
import { allChecks, type BenchResults, type LabelledProfile } from './report/results.ts';
import { runColdStart } from './workloads/coldstart.ts';
import { runFanout } from './workloads/fanout.ts';
import { runPageWorkloads } from './workloads/history-pages.ts';
import { runRunWorkloads } from './workloads/runs.ts';

const args = process.argv.slice(2);
const flag = (name: string) =>
  args.find((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
const value = (name: string) => flag(name)?.split('=')[1];
const base = MODES[flag('quick') ? 'quick' : 'full'];
// --rounds=N: fewer (or more) interleaved rounds, e.g. for a trial of one change.
const mode = value('rounds') ? { ...base, rounds: Number(value('rounds')) } : base;
const only = value('only')?.split(',').map(Number);
const wants = (workload: number) => !only || only.includes(workload);
const profiling = mode.name === 'full' && !flag('no-profile');
const outFile =
  value('out') ??
  (mode.name === 'quick' ? `${OUT_DIR}/BENCHMARKS.quick.md` : `${ROOT}BENCHMARKS.md`);

const started = performance.now();
const log = (line: string) =>
  console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);

const resultsFile = `${OUT_DIR}/results-${mode.name}.json`;

/** The report, in the project's own Markdown format (the lint checks BENCHMARKS.md too). */
function writeReport(results: BenchResults) {
  writeFileSync(outFile, renderReport(results, `${BENCH_DIR}analysis.md`));
  try {
    execFileSync(`${ROOT}node_modules/.bin/biome`, ['format', '--write', outFile], {
      stdio: 'ignore',
    });
  } catch {
    // Outside the project's lint (e.g. bench/out): unformatted is fine.
  }
}
const previous: BenchResults | null = existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as BenchResults)
  : null;
if (flag('render')) {
  if (!previous) throw new Error(`nothing to render: ${resultsFile} does not exist`);
  writeReport(previous);
  log(`rendered ${outFile.replace(ROOT, '')} from ${resultsFile.replace(ROOT, '')}`);
  process.exit(0);
}

ensureBenchDependencies(log);
mkdirSync(OUT_DIR, { recursive: true });
const environment = await describeEnvironment();
log(`${mode.name} mode; dataset ${mode.rows.toLocaleString('en')} rows in ${mode.database}`);
const dataset = await ensureDataset(mode);
log(`dataset ${dataset.generatedNow ? 'generated' : 'reused'} in ${dataset.seconds.toFixed(1)} s`);

const fresh: BenchResults = {
  mode,
  startedAt: new Date().toISOString(),
  seconds: 0,
  environment,
  dataset,
  profiles: [],
  plans: [],
  errors: [],
};
// A partial rerun keeps the other workloads' last results (and says when each was measured).
const results: BenchResults =
  only && previous
    ? {
        ...previous,
        ...fresh,
        pages: previous.pages,
        runs: previous.runs,
        fanout: previous.fanout,
        coldStart: previous.coldStart,
        profiles: previous.profiles,
        plans: previous.plans,
        measuredAt: { ...(previous.measuredAt ?? {}) },
      }
    : { ...fresh, measuredAt: {} };
const measured = (workloads: number[]) => {
  for (const workload of workloads)
    (results.measuredAt as Record<string, string>)[workload] = fresh.startedAt;
};

const model = await FakeModel.start();
const promptmeterEnv = {
  PORT: '0',
  HOST: '127.0.0.1',
  SEED_DEMO: 'false',
  REDIS_URL,
  ANTHROPIC_API_KEY: 'bench',
  ANTHROPIC_BASE_URL: model.url,
  ANTHROPIC_MAX_RETRIES: '0',
  // The bench's templates are free; payments never run, but production mode asks for a choice.
  X402_ALLOW_SIMULATED: 'true',
};
const servers: ServerProcess[] = [];
const start = async (...params: Parameters<typeof startServerProcess>) => {
  const server = await startServerProcess(...params);
  servers.push(server);
  return server;
};

/** Runs one workload; a crash is recorded as a failed behaviour and the others still run. */
async function step<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    log(`${name} crashed: ${(error as Error).stack ?? error}`);
    results.errors.push(`${name}: ${(error as Error).message}`);
    return undefined;
  }
}

/** A CPU profile of one server during one load window. */
async function profile(
  label: string,
  server: ServerProcess,
  seconds: number,
  load: () => Promise<number>,
) {
  const file = `${OUT_DIR}/profiles/${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.cpuprofile`;
  const session = await server.profile(file);
  const requests = await load();
  await session.stop();
  results.profiles.push({
    label,
    requests,
    summary: summariseProfile(file),
  } satisfies LabelledProfile);
  log(`profiled ${label} (${seconds} s): bench/out/profiles`);
}

try {
  const common = { databaseUrl: dataset.url };
  log('starting F, P and O');
  const [F, P, O] = await Promise.all([
    start('floor', { ...common, name: 'F' }),
    start('postgraphile', { ...common, name: 'P' }),
    start('promptmeter', { ...common, name: 'O', env: promptmeterEnv }),
  ]);
  const bySide: Record<Side, ServerProcess> = { F, P, O };

  if (wants(1) || wants(2) || wants(3)) {
    log('workloads 1-3: history pages (checking that F, P and O agree first)');
    results.pages = await step('pages', () => runPageWorkloads(bySide, dataset, mode, log));
    results.plans = (await step('explain', () => explainPages(dataset))) ?? [];
    results.profiles = results.profiles.filter((p) => !/first page/.test(p.label));
    measured([1, 2, 3]);
    if (profiling && results.pages?.firstPage) {
      const token = await hotCallerToken();
      for (const [side, count] of [
        ['O', false],
        ['P', false],
        ['F', false],
        ['O', true],
        ['P', true],
      ] as const) {
        const target = pageTarget(side, bySide[side].url, token, { count });
        await profile(
          `${side}: first page${count ? ' + totalCount' : ''}, ${mode.connections} connections`,
          bySide[side],
          mode.windowSeconds,
          async () =>
            (
              await loadWindow(target, {
                seconds: mode.windowSeconds,
                connections: mode.connections,
              })
            ).requests,
        );
      }
    }
  }
  if (wants(4)) {
    log('workload 4: executeTemplate');
    results.runs = await step('runs', () => runRunWorkloads(O, model, dataset, mode, log));
    results.profiles = results.profiles.filter((p) => !/executeTemplate/.test(p.label));
    measured([4]);
    if (profiling && results.runs) {
      model.setLatency(0);
      const token = await createAuthenticator(JWT_SECRET).mint({
        sub: ACTORS.runner,
        name: 'Bench Runner',
      });
      await profile(
        'O: executeTemplate, 0 ms model, one at a time',
        O,
        mode.windowSeconds,
        async () => {
          let runs = 0;
          const until = performance.now() + mode.windowSeconds * 1000;
          while (performance.now() < until) await executeRun(O.url, token, ++runs);
          return runs;
        },
      );
    }
  }
  if (wants(5)) {
    log('workload 5: executionLogged fan-out over two instances sharing Redis');
    model.setLatency(0);
    results.profiles = results.profiles.filter((p) => !/executionLogged/.test(p.label));
    results.fanout = await step('fan-out', async () => {
      const second = await start('promptmeter', { ...common, name: 'O2', env: promptmeterEnv });
      const largest = Math.max(...mode.subscriberCounts);
      return runFanout(
        [O, second],
        mode,
        log,
        profiling
          ? (fireEvents) =>
              profile(
                `O: executionLogged, ${largest} subscribers on 2 instances (${mode.fanoutEvents} events)`,
                O,
                (mode.fanoutEvents * mode.eventIntervalMs) / 1000,
                fireEvents,
              )
          : undefined,
      );
    });
    measured([5]);
  }
} finally {
  await Promise.allSettled(servers.map((server) => server.stop()));
  await model.close();
}

// Last, with the other servers stopped: start-up is CPU-bound and must not share the machine.
if (wants(6)) {
  log('workload 6: cold start');
  results.coldStart = await step('cold start', () => runColdStart(mode, dataset.url, log));
  measured([6]);
}

results.seconds = (previous && only ? previous.seconds : 0) + (performance.now() - started) / 1000;
writeFileSync(resultsFile, JSON.stringify(results, null, 2));
writeReport(results);
const broken = allChecks(results).filter((check) => !check.ok);
log(
  `wrote ${outFile.replace(ROOT, '')} and bench/out/results-${mode.name}.json in ${results.seconds.toFixed(0)} s`,
);
for (const check of broken) log(`FAILED: ${check.name} — ${check.detail}`);
process.exit(broken.length > 0 ? 1 : 0);
