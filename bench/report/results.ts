import { existsSync, readFileSync } from 'node:fs';
import type { Dataset } from '../dataset/dataset.ts';
import type { Mode } from '../harness/config.ts';
import type { Plan } from '../harness/explain.ts';
import type { LabelledProfile } from '../harness/profile.ts';
import type { AnalyticsResult } from '../workloads/analytics.ts';
import type { Check } from '../workloads/check.ts';
import type { ColdStartResult } from '../workloads/coldstart.ts';
import type { FanoutResult } from '../workloads/fanout.ts';
import type { PagesResult } from '../workloads/history-pages.ts';
import type { RunsResult } from '../workloads/runs.ts';
import type { StreamsResult } from '../workloads/streams.ts';

export interface Environment {
  cpu: string;
  cores: number;
  memoryGiB: number;
  loadAverageAtStart: number[];
  node: string;
  node22: string;
  postgres: string;
  redis: string;
  commit: string;
  dirty: boolean;
  packages: Record<string, string>;
}

export interface BenchResults {
  mode: Mode;
  startedAt: string;
  seconds: number;
  environment: Environment;
  dataset: Dataset;
  pages?: PagesResult;
  runs?: RunsResult;
  fanout?: FanoutResult;
  coldStart?: ColdStartResult;
  streams?: StreamsResult;
  /** Workload 8 (bench/workloads/analytics.ts). */
  analytics?: AnalyticsResult;
  profiles: LabelledProfile[];
  plans: Plan[];
  /** When each workload (1-8) was last measured: --only reruns merge into earlier results. */
  measuredAt?: Record<string, string>;
  /** Workloads that crashed: a broken behaviour too. */
  errors: string[];
}

export const allChecks = (results: BenchResults): Check[] => [
  ...(results.pages?.checks ?? []),
  ...(results.runs?.checks ?? []),
  ...(results.fanout?.checks ?? []),
  ...(results.coldStart?.checks ?? []),
  ...(results.streams?.checks ?? []),
  ...(results.analytics?.checks ?? []),
  ...results.errors.map((error) => ({ name: 'workload crashed', ok: false, detail: error })),
];

/**
 * The results a run starts from: empty, or for a partial rerun (--only) the previous results
 * of the same mode, so the other workloads' last results stay (and say when they were measured).
 */
export function startResults(
  fresh: Omit<BenchResults, 'measuredAt'>,
  previous: BenchResults | null,
  only: number[] | undefined,
): BenchResults {
  if (!only || !previous) return { ...fresh, measuredAt: {} };
  return {
    ...previous,
    ...fresh,
    pages: previous.pages,
    runs: previous.runs,
    fanout: previous.fanout,
    coldStart: previous.coldStart,
    streams: previous.streams,
    profiles: previous.profiles,
    plans: previous.plans,
    measuredAt: { ...(previous.measuredAt ?? {}) },
  };
}

export const readResults = (file: string): BenchResults | null =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResults) : null;
