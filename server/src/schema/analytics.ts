import {
  type Analytics,
  type AnalyticsBucket,
  type AnalyticsTotals,
  type CallerStat,
  type Counters,
  loadAnalytics,
} from '../executions/analytics/analytics.ts';
import type { Preset } from '../executions/analytics/analytics-range.ts';
import type { Scope } from '../executions/analytics/analytics-sql.ts';
import { LATENCY_RELATIVE_ERROR, type Percentiles } from '../executions/analytics/latency.ts';
import { microToUsdc } from '../executions/analytics/money.ts';
import { badInput, forbidden } from '../lib/api-errors.ts';
import { isOwner } from '../templates/ownership.ts';
import { builder } from './builder.ts';
import { findRunnableTemplate, Template } from './template.ts';
import { User } from './user.ts';

const AnalyticsPreset = builder.enumType('AnalyticsPreset', {
  values: {
    LAST_24_HOURS: { value: 'last24Hours', description: 'The current hour and the 23 before it.' },
    LAST_7_DAYS: { value: 'last7Days', description: 'Today and the 6 days before it.' },
    LAST_30_DAYS: { value: 'last30Days' },
    LAST_90_DAYS: { value: 'last90Days' },
  } as const,
});

const AnalyticsGranularity = builder.enumType('AnalyticsGranularity', {
  values: { HOUR: { value: 'hour' }, DAY: { value: 'day' } } as const,
});

const AnalyticsRangeInput = builder.inputType('AnalyticsRangeInput', {
  description:
    'A preset, or from/to (to exclusive), widened to whole buckets in the time zone. At most 2,200 buckets.',
  fields: (t) => ({
    preset: t.field({ type: AnalyticsPreset }),
    from: t.field({ type: 'DateTime' }),
    to: t.field({ type: 'DateTime' }),
  }),
});

const ExecutionTimePercentiles = builder
  .objectRef<Percentiles>('ExecutionTimePercentiles')
  .implement({
    description: `Execution time of finished runs, ms (null without any). Each percentile is the nearest-rank one within ${(LATENCY_RELATIVE_ERROR * 100).toFixed(2)}% of (its value + 1 ms), from a log histogram (README "Analytics").`,
    fields: (t) => ({
      runs: t.exposeInt('runs', { description: 'Finished runs measured.' }),
      p50: t.exposeInt('p50', { nullable: true }),
      p95: t.exposeInt('p95', { nullable: true }),
      p99: t.exposeInt('p99', { nullable: true }),
    }),
  });

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type CounterRow = Counters & { executionTime: Percentiles | (() => Promise<Percentiles>) };
type CounterFieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<Types, CounterRow>;

/** Fields every counter-bearing type shares. */
function counterFields(t: CounterFieldBuilder) {
  return {
    runs: t.exposeInt('runs', { description: 'Runs started in the period, any status.' }),
    running: t.exposeInt('running'),
    succeeded: t.exposeInt('succeeded'),
    failed: t.exposeInt('failed'),
    successRate: t.float({
      nullable: true,
      description: 'succeeded / (succeeded + failed); null before any run finished.',
      resolve: (row) =>
        row.succeeded + row.failed === 0 ? null : row.succeeded / (row.succeeded + row.failed),
    }),
    paidRuns: t.exposeInt('paidRuns', { description: 'Runs that were charged (amountPaid > 0).' }),
    freeRuns: t.int({ resolve: (row) => row.runs - row.paidRuns }),
    inputTokens: t.exposeFloat('inputTokens', { description: 'An exact integer.' }),
    outputTokens: t.exposeFloat('outputTokens', { description: 'An exact integer.' }),
    revenueUsdc: t.field({
      type: 'Decimal',
      description: 'USDC charged, exact.',
      resolve: (row) => microToUsdc(row.revenueMicro),
    }),
    executionTimeMs: t.field({
      type: ExecutionTimePercentiles,
      resolve: (row) =>
        typeof row.executionTime === 'function' ? row.executionTime() : row.executionTime,
    }),
  };
}

const AnalyticsTotalsType = builder.objectRef<AnalyticsTotals>('AnalyticsTotals').implement({
  fields: (t) => ({
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime', description: 'Exclusive.' }),
    ...counterFields(t as unknown as CounterFieldBuilder),
    distinctCallers: t.int({
      description: 'Signed-in callers.',
      resolve: async (totals) => (await totals.people()).distinctCallers,
    }),
    anonymousPayers: t.int({
      description: 'Wallet payers without an account, by address.',
      resolve: async (totals) => (await totals.people()).anonymousPayers,
    }),
  }),
});

const AnalyticsBucketType = builder.objectRef<AnalyticsBucket>('AnalyticsBucket').implement({
  fields: (t) => ({
    start: t.expose('start', { type: 'DateTime' }),
    end: t.expose('end', { type: 'DateTime', description: 'Exclusive.' }),
    ...counterFields(t as unknown as CounterFieldBuilder),
    distinctCallers: t.int({
      description:
        'Signed-in callers with runs in this bucket. Read only when selected, for every bucket at once: the costliest figure.',
      resolve: async (bucket) => (await bucket.people()).distinctCallers,
    }),
    anonymousPayers: t.int({
      description: 'Wallet payers without an account with runs in this bucket, by address.',
      resolve: async (bucket) => (await bucket.people()).anonymousPayers,
    }),
  }),
});

const AnalyticsCaller = builder.objectRef<CallerStat>('AnalyticsCaller').implement({
  fields: (t) => ({
    caller: t.field({
      type: User,
      nullable: true,
      description: 'Null for an anonymous payer.',
      resolve: (stat, _args, context) =>
        stat.callerId ? context.db.user.findUnique({ where: { id: stat.callerId } }) : null,
    }),
    payerAddress: t.exposeString('payerAddress', { nullable: true, description: 'Lower case.' }),
    runs: t.exposeInt('runs'),
    revenueUsdc: t.field({ type: 'Decimal', resolve: (stat) => microToUsdc(stat.revenueMicro) }),
  }),
});

const AnalyticsError = builder
  .objectRef<{ message: string; runs: number }>('AnalyticsError')
  .implement({
    fields: (t) => ({
      message: t.exposeString('message', { description: 'Its first 300 characters.' }),
      runs: t.exposeInt('runs'),
    }),
  });

const TemplateAnalytics = builder.objectRef<Analytics>('TemplateAnalytics').implement({
  description: "Aggregates of an owner's runs, read from rollups kept with every log write.",
  fields: (t) => ({
    timeZone: t.exposeString('timeZone'),
    granularity: t.field({ type: AnalyticsGranularity, resolve: (a) => a.granularity }),
    totals: t.field({ type: AnalyticsTotalsType, resolve: (a) => a.totals }),
    previous: t.field({
      type: AnalyticsTotalsType,
      description: 'The same number of buckets just before the range.',
      resolve: (a) => a.previous,
    }),
    buckets: t.field({
      type: [AnalyticsBucketType],
      description: 'Every bucket of the range, oldest first, empty ones included.',
      resolve: (a) => a.buckets,
    }),
    topCallersByRuns: t.field({ type: [AnalyticsCaller], resolve: (a) => a.topCallersByRuns }),
    topCallersByRevenue: t.field({
      type: [AnalyticsCaller],
      description: 'Callers who paid, most revenue first.',
      resolve: (a) => a.topCallersByRevenue,
    }),
    topErrors: t.field({ type: [AnalyticsError], resolve: (a) => a.topErrors }),
  }),
});

builder.queryField('templateAnalytics', (t) =>
  t.field({
    type: TemplateAnalytics,
    description:
      "Analytics of a template the viewer owns (FORBIDDEN otherwise), or without templateId of all the viewer's templates together.",
    authScopes: { signedIn: true },
    args: {
      templateId: t.arg.id(),
      range: t.arg({ type: AnalyticsRangeInput, required: true }),
      timeZone: t.arg.string({ required: true, description: 'IANA, e.g. Europe/Paris.' }),
      granularity: t.arg({
        type: AnalyticsGranularity,
        description: "Default: the preset's (HOUR for LAST_24_HOURS), else DAY.",
      }),
      top: t.arg.int({ defaultValue: 10, description: 'Length of the top lists, 1-100.' }),
    },
    resolve: async (_root, args, context) => {
      const top = args.top ?? 10;
      if (!Number.isInteger(top) || top < 1 || top > 100) {
        throw badInput('top must be between 1 and 100', 'top');
      }
      const templateId = args.templateId ? String(args.templateId) : null;
      // Checked alongside the bounds' read (one round trip less).
      const scope = async (): Promise<Scope> => {
        if (!templateId) return { allOwned: true };
        const template = await findRunnableTemplate(context, templateId);
        if (!isOwner(template, context.viewer)) {
          throw forbidden("Only the template's owners can read its analytics");
        }
        return { templateId: template.id };
      };
      return loadAnalytics(context.readAsViewer, {
        scope,
        range: {
          preset: (args.range.preset as Preset | null | undefined) ?? null,
          from: args.range.from ?? null,
          to: args.range.to ?? null,
        },
        timeZone: args.timeZone,
        granularity: args.granularity ?? null,
        top,
      });
    },
  }),
);

builder.queryField('ownedTemplates', (t) =>
  t.prismaField({
    type: [Template],
    description:
      "The viewer's templates (as registrant or verified owner of their server), newest first, at most 100.",
    authScopes: { signedIn: true },
    resolve: (query, _root, _args, context) => {
      const viewerId = context.viewer?.id as string;
      return context.db.template.findMany({
        ...query,
        where: {
          server: { OR: [{ registeredById: viewerId }, { verifiedOwnerId: viewerId }] },
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: 100,
      });
    },
  }),
);
