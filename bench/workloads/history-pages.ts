/**
 * Workloads 1-3: the hot pair's history pages on the floor, PostGraphile and promptmeter,
 * interleaved round by round.
 *   1. first page: closed-loop throughput (promptmeter over PostGraphile and over the floor),
 *      p99; then CPU per request at one equal open-loop rate for all three.
 *   2. deep page (a cursor `deepOffset` rows in) against the first page: latency ratio.
 *   3. first page with totalCount: throughput against PostGraphile.
 */
import { buildPageRequests, type PageRequests, type Servers } from '../clients/page-requests.ts';
import type { Dataset } from '../dataset/dataset.ts';
import type { Mode } from '../harness/config.ts';
import { type HttpTarget, loadWindow, type Window } from '../harness/load.ts';
import {
  byServer,
  cpuBetween,
  LETTER,
  SERVER_KINDS,
  type ServerKind,
} from '../harness/processes.ts';
import { type Spread, shuffled, spread } from '../harness/stats.ts';
import type { Check } from './check.ts';
import { verifyAgreement } from './page-agreement.ts';

/** The servers promptmeter is measured against. */
type Baseline = Exclude<ServerKind, 'promptmeter'>;

export interface ThroughputResult {
  windows: Record<ServerKind, Window[]>;
  /** promptmeter's throughput over each baseline's, per round. */
  promptmeterOver: Record<Baseline, Spread>;
}

export interface EqualRateResult {
  rate: number;
  windows: Record<ServerKind, Window[]>;
  /** CPU microseconds per request, per round. */
  cpuPerRequest: Record<ServerKind, number[]>;
  /** promptmeter's CPU per request over each baseline's, per round. */
  cpuPromptmeterOver: Record<Baseline, Spread>;
}

export interface DeepResult {
  first: Record<ServerKind, Window[]>;
  deep: Record<ServerKind, Window[]>;
  /** deep p50 / first p50 per round, per server. */
  p50Ratio: Record<ServerKind, Spread>;
  p99Ratio: Record<ServerKind, Spread>;
}

export interface PagesResult {
  checks: Check[];
  firstPage: ThroughputResult;
  equalRate: EqualRateResult;
  deep: DeepResult;
  withCount: ThroughputResult;
}

type Log = (line: string) => void;

/** Per round, a / b for each baseline b. */
const overBaselines = (values: Record<ServerKind, number[]>): Record<Baseline, Spread> => {
  const over = (baseline: Baseline) =>
    spread(values.promptmeter.map((value, i) => value / (values[baseline][i] as number)));
  return { postgraphile: over('postgraphile'), floor: over('floor') };
};

/** Rounds × servers in a fresh random order each round; warm-up before each measured window. */
async function throughput(
  targets: Record<ServerKind, HttpTarget>,
  mode: Mode,
  log: Log,
  label: string,
): Promise<ThroughputResult> {
  const windows = byServer<Window[]>(() => []);
  for (let round = 0; round < mode.rounds; round++) {
    for (const server of shuffled(SERVER_KINDS)) {
      const options = { seconds: mode.warmupSeconds, connections: mode.connections };
      await loadWindow(targets[server], options);
      const window = await loadWindow(targets[server], { ...options, seconds: mode.windowSeconds });
      windows[server].push(window);
      log(
        `  ${label} round ${round + 1} ${LETTER[server]}: ${window.rps.toFixed(0)} req/s, p99 ${window.p99.toFixed(1)} ms, ${window.failures} failures`,
      );
    }
  }
  const rps = byServer((server) => windows[server].map((w) => w.rps));
  return { windows, promptmeterOver: overBaselines(rps) };
}

async function equalRate(
  servers: Servers,
  targets: Record<ServerKind, HttpTarget>,
  rate: number,
  mode: Mode,
  log: Log,
): Promise<EqualRateResult> {
  const windows = byServer<Window[]>(() => []);
  const cpuPerRequest = byServer<number[]>(() => []);
  for (let round = 0; round < mode.rounds; round++) {
    for (const server of shuffled(SERVER_KINDS)) {
      const options = { seconds: mode.warmupSeconds, connections: mode.connections, rate };
      await loadWindow(targets[server], options);
      const before = await servers[server].sample();
      const window = await loadWindow(targets[server], { ...options, seconds: mode.windowSeconds });
      const after = await servers[server].sample();
      windows[server].push(window);
      cpuPerRequest[server].push(cpuBetween(before, after) / window.requests);
      log(
        `  equal rate ${rate}/s round ${round + 1} ${LETTER[server]}: ${window.rps.toFixed(0)} req/s, ${(cpuBetween(before, after) / window.requests).toFixed(0)} µs CPU/req, p99 ${window.p99.toFixed(1)} ms`,
      );
    }
  }
  return { rate, windows, cpuPerRequest, cpuPromptmeterOver: overBaselines(cpuPerRequest) };
}

/** Deep against first page, per server, one connection: the latency of a single request. */
async function deepPage(requests: PageRequests, mode: Mode, log: Log): Promise<DeepResult> {
  const first = byServer<Window[]>(() => []);
  const deep = byServer<Window[]>(() => []);
  const options = { seconds: mode.windowSeconds, connections: 1 };
  for (let round = 0; round < mode.rounds; round++) {
    for (const server of shuffled(SERVER_KINDS)) {
      for (const which of shuffled(['first', 'deep'] as const)) {
        const targets = which === 'first' ? requests.first : requests.deep;
        await loadWindow(targets[server], { ...options, seconds: mode.warmupSeconds });
        const window = await loadWindow(targets[server], options);
        (which === 'first' ? first : deep)[server].push(window);
        log(
          `  deep round ${round + 1} ${LETTER[server]} ${which}: p50 ${window.p50.toFixed(2)} ms, p99 ${window.p99.toFixed(2)} ms`,
        );
      }
    }
  }
  const ratio = (server: ServerKind, key: 'p50' | 'p99') =>
    spread(deep[server].map((w, i) => w[key] / (first[server][i] as Window)[key]));
  return {
    first,
    deep,
    p50Ratio: byServer((server) => ratio(server, 'p50')),
    p99Ratio: byServer((server) => ratio(server, 'p99')),
  };
}

export async function runPageWorkloads(
  servers: Servers,
  dataset: Dataset,
  mode: Mode,
  log: Log,
): Promise<PagesResult> {
  const requests = await buildPageRequests(servers, dataset);
  const checks = await verifyAgreement(dataset, requests);
  for (const check of checks)
    log(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name} — ${check.detail}`);
  if (checks.some((check) => !check.ok)) return { checks } as PagesResult;

  log('workload 1: first page, closed loop');
  const firstPage = await throughput(requests.first, mode, log, 'first page');
  // Half the slowest server's median throughput: every server can hold it even when the machine
  // is busier than in the throughput rounds, so CPU per request compares at the same load.
  const slowest = Math.min(
    ...SERVER_KINDS.map((server) => spread(firstPage.windows[server].map((w) => w.rps)).median),
  );
  const rate = Math.max(50, Math.round((slowest * 0.5) / 50) * 50);
  log(`workload 1: CPU per request at an equal ${rate} req/s`);
  const equal = await equalRate(servers, requests.first, rate, mode, log);
  log('workload 2: deep page against first page, one connection');
  const deep = await deepPage(requests, mode, log);
  log('workload 3: first page with totalCount, closed loop');
  const withCount = await throughput(requests.withCount, mode, log, 'totalCount');
  return { checks, firstPage, equalRate: equal, deep, withCount };
}
