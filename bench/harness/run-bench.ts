import { mkdirSync } from 'node:fs';
import { FakeModel } from '../clients/fake-model.ts';
import type { Servers } from '../clients/page-requests.ts';
import { ensureDataset } from '../dataset/dataset.ts';
import { type BenchResults, startResults } from '../report/results.ts';
import { ensureAnalyticsDatabase, runAnalyticsWorkloads } from '../workloads/analytics.ts';
import { runColdStart } from '../workloads/coldstart.ts';
import { runFanout } from '../workloads/fanout.ts';
import { runPageWorkloads } from '../workloads/history-pages.ts';
import { runRunWorkloads } from '../workloads/runs.ts';
import { runStreamWorkload } from '../workloads/streams.ts';
import { type Mode, OUT_DIR, promptmeterBenchEnv } from './config.ts';
import { ensureBenchDependencies } from './deps.ts';
import { describeEnvironment } from './environment.ts';
import { explainPages } from './explain.ts';
import { LETTER, type ServerProcess, startServerProcess } from './processes.ts';
import { windowProfiler } from './profile.ts';
import { profilePages, profileRuns } from './profiled-loads.ts';

export interface BenchPlan {
  mode: Mode;
  /** The workloads (1-7) to run; all when undefined. */
  only?: number[];
  /** CPU profiles of the servers during extra, unmeasured windows. */
  profiling: boolean;
}

type Log = (line: string) => void;

/**
 * One bench run: dataset, servers, then the planned workloads. A workload that crashes is
 * recorded as a failed behaviour and the others still run. With `only`, the results build on
 * `previous`.
 */
export async function runBench(
  plan: BenchPlan,
  previous: BenchResults | null,
  log: Log,
): Promise<BenchResults> {
  const { mode, only, profiling } = plan;
  const started = performance.now();
  const wants = (workload: number) => !only || only.includes(workload);
  // PostGraphile (and its Node 22) serve the history pages only.
  if (wants(1) || wants(2) || wants(3)) ensureBenchDependencies(log);
  mkdirSync(OUT_DIR, { recursive: true });
  const environment = await describeEnvironment();
  log(`${mode.name} mode; dataset ${mode.rows.toLocaleString('en')} rows in ${mode.database}`);
  const dataset = await ensureDataset(mode);
  log(
    `dataset ${dataset.generatedNow ? 'generated' : 'reused'} in ${dataset.seconds.toFixed(1)} s`,
  );
  const startedAt = new Date().toISOString();
  const results = startResults(
    { mode, startedAt, seconds: 0, environment, dataset, profiles: [], plans: [], errors: [] },
    previous,
    only,
  );
  const measured = (workloads: number[]) => {
    for (const workload of workloads)
      (results.measuredAt as Record<string, string>)[workload] = startedAt;
  };
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (error) {
      log(`${name} crashed: ${(error as Error).stack ?? error}`);
      results.errors.push(`${name}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const profile = windowProfiler(results.profiles, log);
  const model = await FakeModel.start();
  const promptmeterEnv = promptmeterBenchEnv(model.url);
  const running: ServerProcess[] = [];
  const start = async (...params: Parameters<typeof startServerProcess>) => {
    const server = await startServerProcess(...params);
    running.push(server);
    return server;
  };
  try {
    const common = { databaseUrl: dataset.url };
    const pagesWanted = wants(1) || wants(2) || wants(3);
    log(`starting ${pagesWanted ? 'the floor, PostGraphile and ' : ''}promptmeter`);
    const promptmeter = await start('promptmeter', {
      ...common,
      name: 'promptmeter',
      env: promptmeterEnv,
    });

    if (pagesWanted) {
      // The floor and PostGraphile serve only the history pages.
      const [floor, postgraphile] = await Promise.all([
        start('floor', { ...common, name: 'floor' }),
        start('postgraphile', { ...common, name: 'postgraphile' }),
      ]);
      const servers: Servers = { floor, postgraphile, promptmeter };
      log('workloads 1-3: history pages (checking that the three servers agree first)');
      results.pages = await step('pages', () => runPageWorkloads(servers, dataset, mode, log));
      results.plans = (await step('explain', () => explainPages(dataset))) ?? [];
      results.profiles = results.profiles.filter((p) => !/first page/.test(p.label));
      measured([1, 2, 3]);
      if (profiling && results.pages?.firstPage) await profilePages(servers, mode, profile);
    }
    if (wants(4)) {
      log('workload 4: executeTemplate');
      results.runs = await step('runs', () =>
        runRunWorkloads(promptmeter, model, dataset, mode, log),
      );
      results.profiles = results.profiles.filter((p) => !/executeTemplate/.test(p.label));
      measured([4]);
      if (profiling && results.runs) await profileRuns(promptmeter, model, mode, profile);
    }
    if (wants(7)) {
      log('workload 7: streamed runs');
      results.streams = await step('streams', () =>
        runStreamWorkload(promptmeter, model, mode, log, profiling ? profile : undefined),
      );
      model.setLatency(0);
      measured([7]);
    }
    if (wants(5)) {
      log('workload 5: executionLogged fan-out over two instances sharing Redis');
      model.setLatency(0);
      results.profiles = results.profiles.filter((p) => !/executionLogged/.test(p.label));
      results.fanout = await step('fan-out', async () => {
        const second = await start('promptmeter', {
          ...common,
          name: 'promptmeter-2',
          env: promptmeterEnv,
        });
        const largest = Math.max(...mode.subscriberCounts);
        return runFanout(
          [promptmeter, second],
          mode,
          log,
          profiling
            ? (fireEvents) =>
                profile(
                  `${LETTER.promptmeter}: executionLogged, ${largest} subscribers on 2 instances (${mode.fanoutEvents} events)`,
                  promptmeter,
                  (mode.fanoutEvents * mode.eventIntervalMs) / 1000,
                  fireEvents,
                )
            : undefined,
        );
      });
      measured([5]);
    }
    if (wants(8)) {
      log('workload 8: owner analytics and export (its own database and promptmeter process)');
      results.analytics = await step('analytics', async () => {
        const { url, runs } = await ensureAnalyticsDatabase(mode, log);
        const server = await start('promptmeter', {
          name: 'promptmeter-analytics',
          databaseUrl: url,
          env: promptmeterEnv,
        });
        return runAnalyticsWorkloads(mode, server, url, runs, log);
      });
      measured([8]);
    }
  } finally {
    await Promise.allSettled(running.map((server) => server.stop()));
    await model.close();
  }

  // Last, with the other servers stopped: start-up is CPU-bound and must not share the machine.
  if (wants(6)) {
    log('workload 6: cold start');
    results.coldStart = await step('cold start', () => runColdStart(mode, dataset.url, log));
    measured([6]);
  }
  results.seconds =
    (previous && only ? previous.seconds : 0) + (performance.now() - started) / 1000;
  return results;
}
