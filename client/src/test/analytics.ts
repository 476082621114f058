import type { ExecutionStatus } from '../gql/graphql.ts';
import { executionsConnection } from './factories.ts';

/** Test data for the analytics pages, shaped as the API sends it (with __typename). */

export const templateId = 'VGVtcGxhdGU6Mg==';

const percentiles = (p50: number | null, p95: number | null, p99: number | null) => ({
  __typename: 'ExecutionTimePercentiles' as const,
  p50,
  p95,
  p99,
});

export interface BucketCounts {
  start: string;
  succeeded?: number;
  failed?: number;
  running?: number;
  revenueUsdc?: string;
  p50?: number | null;
}

export function bucket({
  start,
  succeeded = 0,
  failed = 0,
  running = 0,
  revenueUsdc = '0',
  p50 = null,
}: BucketCounts) {
  return {
    __typename: 'AnalyticsBucket' as const,
    start,
    runs: succeeded + failed + running,
    succeeded,
    failed,
    running,
    revenueUsdc,
    executionTimeMs: percentiles(p50, p50 === null ? null : p50 * 2, p50 === null ? null : p50 * 3),
  };
}

type Totals = {
  runs: number;
  succeeded: number;
  failed: number;
  running: number;
  successRate: number | null;
  revenueUsdc: string;
  paidRuns: number;
  inputTokens: number;
  outputTokens: number;
  distinctCallers: number;
  anonymousPayers: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
};

const NO_RUNS: Totals = {
  runs: 0,
  succeeded: 0,
  failed: 0,
  running: 0,
  successRate: null,
  revenueUsdc: '0',
  paidRuns: 0,
  inputTokens: 0,
  outputTokens: 0,
  distinctCallers: 0,
  anonymousPayers: 0,
  p50: null,
  p95: null,
  p99: null,
};

/** templateAnalytics as AnalyticsPageQuery selects it. */
export function analytics({
  totals = {},
  previous = {},
  buckets = [],
  granularity = 'DAY',
  timeZone = 'America/New_York',
  topCallers = [],
  topErrors = [],
}: {
  totals?: Partial<Totals>;
  previous?: Partial<Totals>;
  buckets?: ReturnType<typeof bucket>[];
  granularity?: 'DAY' | 'HOUR';
  timeZone?: string;
  topCallers?: Array<{ name?: string; payerAddress?: string; runs: number; revenueUsdc: string }>;
  topErrors?: Array<{ message: string; runs: number }>;
}) {
  const now = { ...NO_RUNS, ...totals };
  const before = { ...NO_RUNS, ...previous };
  return {
    __typename: 'TemplateAnalytics' as const,
    timeZone,
    granularity,
    totals: {
      __typename: 'AnalyticsTotals' as const,
      from: buckets[0]?.start ?? '2026-11-01T04:00:00.000Z',
      to: '2026-11-08T05:00:00.000Z',
      runs: now.runs,
      succeeded: now.succeeded,
      failed: now.failed,
      running: now.running,
      successRate: now.successRate,
      revenueUsdc: now.revenueUsdc,
      paidRuns: now.paidRuns,
      inputTokens: now.inputTokens,
      outputTokens: now.outputTokens,
      distinctCallers: now.distinctCallers,
      anonymousPayers: now.anonymousPayers,
      executionTimeMs: percentiles(now.p50, now.p95, now.p99),
    },
    previous: {
      __typename: 'AnalyticsTotals' as const,
      runs: before.runs,
      successRate: before.successRate,
      revenueUsdc: before.revenueUsdc,
      distinctCallers: before.distinctCallers,
      anonymousPayers: before.anonymousPayers,
      executionTimeMs: {
        __typename: 'ExecutionTimePercentiles' as const,
        p50: before.p50,
        p95: before.p95,
      },
    },
    buckets,
    topCallersByRuns: topCallers.map((caller, index) => ({
      __typename: 'AnalyticsCaller' as const,
      caller: caller.name
        ? { __typename: 'User' as const, id: `VXNlcjo${index}`, name: caller.name }
        : null,
      payerAddress: caller.payerAddress ?? null,
      runs: caller.runs,
      revenueUsdc: caller.revenueUsdc,
    })),
    topErrors: topErrors.map((error) => ({ __typename: 'AnalyticsError' as const, ...error })),
  };
}

/** A row of the owner's run log (RunLogQuery's node). */
export function logRow(
  id: string,
  overrides: Partial<{
    status: ExecutionStatus;
    createdAt: string;
    caller: { id: string; name: string } | null;
    payerAddress: string | null;
    amountPaid: string;
    executionTimeMs: number | null;
    errorMessage: string | null;
  }> = {},
) {
  const { caller, ...rest } = overrides;
  return {
    __typename: 'Execution' as const,
    id,
    status: 'SUCCESS' as ExecutionStatus,
    createdAt: '2026-11-01T06:30:00.000Z',
    caller: caller === undefined ? null : caller && { __typename: 'User' as const, ...caller },
    payerAddress: null,
    amountPaid: '0',
    executionTimeMs: 120,
    errorMessage: null,
    ...rest,
  };
}

export function logConnection(nodes: ReturnType<typeof logRow>[], totalCount = nodes.length) {
  return {
    __typename: 'Template' as const,
    id: templateId,
    executions: executionsConnection(nodes, totalCount),
  };
}
