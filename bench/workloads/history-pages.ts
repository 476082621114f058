/**
 * Workloads 1-3: the hot pair's history pages on F, P and O, interleaved round by round.
 *   1. first page: closed-loop throughput (O/P, O/F), p99; then CPU per request at one equal
 *      open-loop rate for all three.
 *   2. deep page (a cursor `deepOffset` rows in) against the first page: latency ratio.
 *   3. first page with totalCount: throughput O/P.
 */
import pg from 'pg';
import {
  hotCallerToken,
  normalise,
  type PageRequest,
  pageTarget,
  postgraphileCursor,
  promptmeterCursor,
  SIDES,
  type Side,
} from '../clients/page-requests.ts';
import { ACTORS, type Dataset, HOT_TEMPLATE } from '../dataset/dataset.ts';
import type { Mode } from '../harness/config.ts';
import { type HttpTarget, loadWindow, post, type Window } from '../harness/load.ts';
import { cpuBetween, type ServerProcess } from '../harness/processes.ts';
import { type Spread, shuffled, spread } from '../harness/stats.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ThroughputResult {
  windows: Record<Side, Window[]>;
  oOverP: Spread;
  oOverF: Spread;
}

export interface EqualRateResult {
  rate: number;
  windows: Record<Side, Window[]>;
  /** CPU microseconds per request, per round. */
  cpuPerRequest: Record<Side, number[]>;
  cpuOOverP: Spread;
  cpuOOverF: Spread;
}

export interface DeepResult {
  first: Record<Side, Window[]>;
  deep: Record<Side, Window[]>;
  /** deep p50 / first p50 per round, per side. */
  p50Ratio: Record<Side, Spread>;
  p99Ratio: Record<Side, Spread>;
}

export interface PagesResult {
  checks: Check[];
  firstPage: ThroughputResult;
  equalRate: EqualRateResult;
  deep: DeepResult;
  withCount: ThroughputResult;
}

type Servers = Record<Side, ServerProcess>;

/** The page requests of each side, with each side's own cursor for the deep position. */
async function buildRequests(servers: Servers, dataset: Dataset) {
  const token = await hotCallerToken();
  // PostGraphile's cursors carry a digest of the ordering: take it from a cursor it issued.
  const probe = await post(pageTarget('P', servers.P.url, token, { count: false, first: 1 }));
  const issued = normalise('P', probe.text).endCursor ?? '';
  const deepAfter = {
    promptmeter: promptmeterCursor(dataset.deep),
    postgraphile: postgraphileCursor(issued, dataset.deep),
  };
  const target = (side: Side, request: PageRequest) =>
    pageTarget(side, servers[side].url, token, request);
  const perSide = (request: PageRequest) =>
    Object.fromEntries(SIDES.map((side) => [side, target(side, request)])) as Record<
      Side,
      HttpTarget
    >;
  return {
    token,
    target,
    first: perSide({ count: false }),
    deep: perSide({ count: false, after: deepAfter }),
    withCount: perSide({ count: true }),
  };
}

/** All three servers must return the same page, and the page the database says is right. */
async function verifyAgreement(
  dataset: Dataset,
  requests: Awaited<ReturnType<typeof buildRequests>>,
): Promise<Check[]> {
  const checks: Check[] = [];
  const db = new pg.Client({ connectionString: dataset.url });
  await db.connect();
  const truth = async (offset: number, limit: number) =>
    (
      await db.query<{ id: string }>(
        `SELECT id FROM x402_prompt_template_usage_logs WHERE template_id = $1 AND caller_id = $2
         ORDER BY created_at DESC, id DESC OFFSET $3 LIMIT $4`,
        [HOT_TEMPLATE, ACTORS.hotCaller, offset, limit],
      )
    ).rows.map((row) => row.id);
  const total = Number(
    (
      await db.query(
        'SELECT count(*) FROM x402_prompt_template_usage_logs WHERE template_id = $1 AND caller_id = $2',
        [HOT_TEMPLATE, ACTORS.hotCaller],
      )
    ).rows[0].count,
  );
  try {
    const cases: Array<[string, Record<Side, HttpTarget>, number]> = [
      ['first page', requests.first, 0],
      [`deep page (cursor ${dataset.deepOffset} rows in)`, requests.deep, dataset.deepOffset],
      ['first page + totalCount', requests.withCount, 0],
    ];
    for (const [name, targets, offset] of cases) {
      const answers = {} as Record<Side, string>;
      for (const side of SIDES) {
        const { status, text } = await post(targets[side]);
        if (status !== 200)
          throw new Error(`${side} answered ${status} to ${name}: ${text.slice(0, 300)}`);
        answers[side] = text;
      }
      const pages = Object.fromEntries(SIDES.map((side) => [side, normalise(side, answers[side])]));
      const o = pages.O as ReturnType<typeof normalise>;
      const expected = await truth(offset, 20);
      const sameAsO = (side: Side) =>
        JSON.stringify({ ...pages[side], endCursor: null }) ===
        JSON.stringify({ ...o, endCursor: null });
      checks.push({
        name: `${name}: F answers byte-for-byte what O answers`,
        ok: answers.F === answers.O,
        detail:
          answers.F === answers.O
            ? `${answers.O.length} bytes`
            : `F ${answers.F.slice(0, 200)} / O ${answers.O.slice(0, 200)}`,
      });
      checks.push({
        name: `${name}: P returns the same rows and page info as O`,
        ok: sameAsO('P'),
        detail: sameAsO('P')
          ? `${o.rows.length} rows`
          : `P ${JSON.stringify(pages.P).slice(0, 300)}`,
      });
      const ids = o.rows.map((row) => row.id);
      const right = JSON.stringify(ids) === JSON.stringify(expected) && o.hasNextPage;
      checks.push({
        name: `${name}: O's rows are the database's (RLS on, newest first, 20, hasNextPage)`,
        ok: right,
        detail: right
          ? `${ids.length} ids match`
          : `got ${ids.slice(0, 3).join(',')}… want ${expected.slice(0, 3).join(',')}…`,
      });
      if (o.totalCount !== undefined) {
        checks.push({
          name: `${name}: totalCount is exact`,
          ok: o.totalCount === total,
          detail: `${o.totalCount} (database: ${total})`,
        });
      }
    }
    // Following endCursor gives the next 20 rows on each side.
    for (const side of SIDES) {
      const first = normalise(side, (await post(requests.first[side])).text);
      const cursor = first.endCursor ?? '';
      const next = requests.target(side, {
        count: false,
        after: { promptmeter: cursor, postgraphile: cursor },
      });
      const second = normalise(side, (await post(next)).text);
      const expected = await truth(20, 20);
      const ok = JSON.stringify(second.rows.map((row) => row.id)) === JSON.stringify(expected);
      checks.push({
        name: `${side}: endCursor leads to rows 21-40`,
        ok,
        detail: ok ? 'match' : `got ${String(second.rows[0]?.id)}…`,
      });
    }
  } finally {
    await db.end();
  }
  return checks;
}

const emptyBySide = <T>(make: () => T) =>
  Object.fromEntries(SIDES.map((side) => [side, make()])) as Record<Side, T>;

/** Rounds × sides in a fresh random order each round; warm-up before each measured window. */
async function throughput(
  targets: Record<Side, HttpTarget>,
  mode: Mode,
  log: (line: string) => void,
  label: string,
): Promise<ThroughputResult> {
  const windows = emptyBySide<Window[]>(() => []);
  for (let round = 0; round < mode.rounds; round++) {
    for (const side of shuffled(SIDES)) {
      await loadWindow(targets[side], {
        seconds: mode.warmupSeconds,
        connections: mode.connections,
      });
      const window = await loadWindow(targets[side], {
        seconds: mode.windowSeconds,
        connections: mode.connections,
      });
      windows[side].push(window);
      log(
        `  ${label} round ${round + 1} ${side}: ${window.rps.toFixed(0)} req/s, p99 ${window.p99.toFixed(1)} ms, ${window.failures} failures`,
      );
    }
  }
  const ratio = (a: Side, b: Side) =>
    spread(windows[a].map((w, i) => w.rps / (windows[b][i] as Window).rps));
  return { windows, oOverP: ratio('O', 'P'), oOverF: ratio('O', 'F') };
}

async function equalRate(
  servers: Servers,
  targets: Record<Side, HttpTarget>,
  rate: number,
  mode: Mode,
  log: (line: string) => void,
): Promise<EqualRateResult> {
  const windows = emptyBySide<Window[]>(() => []);
  const cpuPerRequest = emptyBySide<number[]>(() => []);
  for (let round = 0; round < mode.rounds; round++) {
    for (const side of shuffled(SIDES)) {
      await loadWindow(targets[side], {
        seconds: mode.warmupSeconds,
        connections: mode.connections,
        rate,
      });
      const before = await servers[side].sample();
      const window = await loadWindow(targets[side], {
        seconds: mode.windowSeconds,
        connections: mode.connections,
        rate,
      });
      const after = await servers[side].sample();
      windows[side].push(window);
      cpuPerRequest[side].push(cpuBetween(before, after) / window.requests);
      log(
        `  equal rate ${rate}/s round ${round + 1} ${side}: ${window.rps.toFixed(0)} req/s, ${(cpuBetween(before, after) / window.requests).toFixed(0)} µs CPU/req, p99 ${window.p99.toFixed(1)} ms`,
      );
    }
  }
  const ratio = (a: Side, b: Side) =>
    spread(cpuPerRequest[a].map((value, i) => value / (cpuPerRequest[b][i] as number)));
  return { rate, windows, cpuPerRequest, cpuOOverP: ratio('O', 'P'), cpuOOverF: ratio('O', 'F') };
}

/** Deep against first page, per side, one connection: the latency of a single request. */
async function deepPage(
  requests: Awaited<ReturnType<typeof buildRequests>>,
  mode: Mode,
  log: (line: string) => void,
): Promise<DeepResult> {
  const first = emptyBySide<Window[]>(() => []);
  const deep = emptyBySide<Window[]>(() => []);
  const options = { seconds: mode.windowSeconds, connections: 1 };
  for (let round = 0; round < mode.rounds; round++) {
    for (const side of shuffled(SIDES)) {
      for (const which of shuffled(['first', 'deep'] as const)) {
        const targets = which === 'first' ? requests.first : requests.deep;
        await loadWindow(targets[side], { ...options, seconds: mode.warmupSeconds });
        const window = await loadWindow(targets[side], options);
        (which === 'first' ? first : deep)[side].push(window);
        log(
          `  deep round ${round + 1} ${side} ${which}: p50 ${window.p50.toFixed(2)} ms, p99 ${window.p99.toFixed(2)} ms`,
        );
      }
    }
  }
  const ratio = (side: Side, key: 'p50' | 'p99') =>
    spread(deep[side].map((w, i) => w[key] / (first[side][i] as Window)[key]));
  return {
    first,
    deep,
    p50Ratio: emptyBySideFrom((side) => ratio(side, 'p50')),
    p99Ratio: emptyBySideFrom((side) => ratio(side, 'p99')),
  };
}

const emptyBySideFrom = <T>(make: (side: Side) => T) =>
  Object.fromEntries(SIDES.map((side) => [side, make(side)])) as Record<Side, T>;

export async function runPageWorkloads(
  servers: Servers,
  dataset: Dataset,
  mode: Mode,
  log: (line: string) => void,
): Promise<PagesResult> {
  const requests = await buildRequests(servers, dataset);
  const checks = await verifyAgreement(dataset, requests);
  for (const check of checks)
    log(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name} — ${check.detail}`);
  if (checks.some((check) => !check.ok)) return { checks } as PagesResult;

  log('workload 1: first page, closed loop');
  const firstPage = await throughput(requests.first, mode, log, 'first page');
  // Half the slowest side's median throughput: every side can hold it even when the machine is
  // busier than in the throughput rounds, so CPU per request compares at the same load.
  const slowest = Math.min(
    ...SIDES.map((side) => spread(firstPage.windows[side].map((w) => w.rps)).median),
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
