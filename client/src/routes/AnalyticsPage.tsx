import { useApolloClient, useQuery } from '@apollo/client/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { NotFoundPage } from '../app/NotFoundPage.tsx';
import { Link, paths } from '../app/router.tsx';
import { graphql } from '../gql/index.ts';
import { errorCode } from '../lib/errors.ts';
import { viewerFormat } from '../lib/viewerFormat.ts';
import { ErrorNotice, Loading } from '../ui/Feedback.tsx';
import { AnalyticsChart, type ChartBucket } from './analytics/AnalyticsChart.tsx';
import { RunLog, RunLogLiveSubscription } from './analytics/RunLog.tsx';

export const AnalyticsPageQuery = graphql(`
  query AnalyticsPageQuery($templateId: ID!, $range: AnalyticsRangeInput!, $timeZone: String!) {
    template(id: $templateId) {
      id
      name
    }
    templateAnalytics(templateId: $templateId, range: $range, timeZone: $timeZone, top: 5) {
      timeZone
      granularity
      totals {
        from
        to
        runs
        succeeded
        failed
        running
        successRate
        revenueUsdc
        paidRuns
        inputTokens
        outputTokens
        distinctCallers
        anonymousPayers
        executionTimeMs {
          p50
          p95
          p99
        }
      }
      previous {
        runs
        successRate
        revenueUsdc
        distinctCallers
        anonymousPayers
        executionTimeMs {
          p50
          p95
        }
      }
      buckets {
        start
        runs
        succeeded
        failed
        running
        revenueUsdc
        executionTimeMs {
          p50
          p95
          p99
        }
      }
      topCallersByRuns {
        caller {
          id
          name
        }
        payerAddress
        runs
        revenueUsdc
      }
      topErrors {
        message
        runs
      }
    }
  }
`);

const PRESETS = [
  ['LAST_24_HOURS', '24 hours'],
  ['LAST_7_DAYS', '7 days'],
  ['LAST_30_DAYS', '30 days'],
  ['LAST_90_DAYS', '90 days'],
] as const;
type Preset = (typeof PRESETS)[number][0];

/** Analytics refetch at most this often while runs start and finish. */
const LIVE_REFRESH_MS = 500;

/** "+25%", "−10%", "±0", or "new" (nothing before): this period against the one before it. */
function change(current: number | null, previous: number | null, locale: string) {
  if (current === null || previous === null) return null;
  if (previous === 0) return current === 0 ? '±0' : 'new';
  return new Intl.NumberFormat(locale, {
    style: 'percent',
    maximumFractionDigits: 0,
    signDisplay: 'exceptZero',
  }).format((current - previous) / previous);
}

function Headline(props: {
  label: string;
  value: string;
  detail?: string;
  current: number | null;
  previous: number | null;
  locale: string;
}) {
  const delta = change(props.current, props.previous, props.locale);
  return (
    <div className="headline" data-testid={`headline-${props.label}`}>
      <div className="headline__label">{props.label}</div>
      <div className="headline__value">{props.value}</div>
      {props.detail && <div className="headline__detail">{props.detail}</div>}
      {delta && <div className="headline__change">{delta} vs previous period</div>}
    </div>
  );
}

/**
 * An owner's dashboard for one template: headline numbers against the previous period, charts,
 * top callers and errors, and the filterable run log with export. Live: every executionLogged
 * event of the template refetches the numbers (at most every LIVE_REFRESH_MS), no polling.
 * Numbers and times are the viewer's: their locale, and buckets in their time zone.
 */
export default function AnalyticsPage({ templateId }: { templateId: string }) {
  const [preset, setPreset] = useState<Preset>('LAST_7_DAYS');
  const format = useMemo(() => viewerFormat(), []);
  const { locale, timeZone } = format;
  const { data, error, refetch } = useQuery(AnalyticsPageQuery, {
    variables: { templateId, range: { preset }, timeZone },
    fetchPolicy: 'cache-and-network',
  });
  const client = useApolloClient();
  const [liveTick, setLiveTick] = useState(0);
  const refetchRef = useRef(refetch);
  refetchRef.current = refetch;

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const subscription = client
      .subscribe({ query: RunLogLiveSubscription, variables: { templateId } })
      .subscribe({
        next: () => {
          timer ??= setTimeout(() => {
            timer = undefined;
            void refetchRef.current();
            setLiveTick((tick) => tick + 1);
          }, LIVE_REFRESH_MS);
        },
      });
    return () => {
      clearTimeout(timer);
      subscription.unsubscribe();
    };
  }, [client, templateId]);

  const analytics = data?.templateAnalytics;
  const chartBuckets: ChartBucket[] = useMemo(() => {
    if (!analytics) return [];
    const bucketLabel = new Intl.DateTimeFormat(locale, {
      timeZone,
      ...(analytics.granularity === 'HOUR'
        ? { hour: 'numeric', minute: '2-digit' }
        : { month: 'short', day: 'numeric' }),
    });
    return analytics.buckets.map((bucket) => ({
      start: bucket.start,
      label: bucketLabel.format(new Date(bucket.start)),
      succeeded: bucket.succeeded,
      failed: bucket.failed,
      running: bucket.running,
      revenue: Number(bucket.revenueUsdc),
      p50: bucket.executionTimeMs.p50 ?? null,
      p95: bucket.executionTimeMs.p95 ?? null,
      p99: bucket.executionTimeMs.p99 ?? null,
    }));
  }, [analytics, locale, timeZone]);

  const code = error && errorCode(error);
  if (code === 'BAD_USER_INPUT' || code === 'NOT_FOUND')
    return <NotFoundPage what="This template" />;
  if (code === 'FORBIDDEN') {
    return (
      <div className="page">
        <p className="notice">Only this template&apos;s owners can see its analytics.</p>
        <Link to={paths.template(templateId)}>Back to the template</Link>
      </div>
    );
  }
  if (error && !analytics) {
    return (
      <div className="page">
        <ErrorNotice
          error={error}
          title="Could not load analytics."
          onRetry={() => void refetch()}
        />
      </div>
    );
  }
  if (!data || !analytics) {
    return (
      <div className="page">
        <Loading>Loading analytics…</Loading>
      </div>
    );
  }
  const { totals, previous } = analytics;
  const { count, percent, usdc, ms } = format;
  const presetLabel = PRESETS.find(([value]) => value === preset)?.[1] ?? '';
  return (
    <div className="page analytics-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to={paths.templates()}>Templates</Link> ›{' '}
        <Link to={paths.template(templateId)}>{data.template?.name ?? 'Template'}</Link>
      </nav>
      <div className="page__header">
        <h1>Analytics · {data.template?.name}</h1>
        <p className="muted">
          Times in {analytics.timeZone}. Updates live as runs start and finish.
        </p>
      </div>
      <fieldset className="segmented" aria-label="Period">
        {PRESETS.map(([value, label]) => (
          <button
            key={value}
            type="button"
            className="button button--small"
            aria-pressed={preset === value}
            onClick={() => setPreset(value)}
          >
            {label}
          </button>
        ))}
      </fieldset>
      <section className="headlines" aria-label="Totals">
        <Headline
          label="Runs"
          value={count(totals.runs)}
          detail={`${count(totals.succeeded)} succeeded · ${count(totals.failed)} failed · ${count(totals.running)} running`}
          current={totals.runs}
          previous={previous.runs}
          locale={locale}
        />
        <Headline
          label="Success rate"
          value={percent(totals.successRate ?? null)}
          current={totals.successRate ?? null}
          previous={previous.successRate ?? null}
          locale={locale}
        />
        <Headline
          label="Revenue"
          value={usdc(totals.revenueUsdc)}
          detail={`${count(totals.paidRuns)} paid runs`}
          current={Number(totals.revenueUsdc)}
          previous={Number(previous.revenueUsdc)}
          locale={locale}
        />
        <Headline
          label="Callers"
          value={count(totals.distinctCallers + totals.anonymousPayers)}
          detail={`${count(totals.distinctCallers)} signed in · ${count(totals.anonymousPayers)} anonymous wallets`}
          current={totals.distinctCallers + totals.anonymousPayers}
          previous={previous.distinctCallers + previous.anonymousPayers}
          locale={locale}
        />
        <Headline
          label="Execution time (p50)"
          value={ms(totals.executionTimeMs.p50)}
          detail={`p95 ${ms(totals.executionTimeMs.p95)} · p99 ${ms(totals.executionTimeMs.p99)}`}
          current={totals.executionTimeMs.p50 ?? null}
          previous={previous.executionTimeMs.p50 ?? null}
          locale={locale}
        />
        <Headline
          label="Tokens"
          value={count(totals.inputTokens + totals.outputTokens)}
          detail={`${count(totals.inputTokens)} in · ${count(totals.outputTokens)} out`}
          current={null}
          previous={null}
          locale={locale}
        />
      </section>
      {totals.runs === 0 ? (
        <p className="empty analytics-empty">
          No runs in the last {presetLabel}. Runs of this template show up here as they start.
        </p>
      ) : (
        <section className="analytics-panels">
          <div className="panel">
            <h2>Runs and revenue</h2>
            <AnalyticsChart
              buckets={chartBuckets}
              kind="runs"
              label="Runs by status and revenue per period"
              locale={locale}
            />
          </div>
          <div className="panel">
            <h2>Execution time</h2>
            <AnalyticsChart
              buckets={chartBuckets}
              kind="latency"
              label="Execution time percentiles per period"
              locale={locale}
            />
          </div>
          <div className="panel">
            <h2 id="analytics-top-callers">Top callers</h2>
            <table className="data-table" aria-labelledby="analytics-top-callers">
              <thead>
                <tr>
                  <th scope="col">Caller</th>
                  <th scope="col">Runs</th>
                  <th scope="col">Revenue</th>
                </tr>
              </thead>
              <tbody>
                {analytics.topCallersByRuns.map((caller) => (
                  <tr key={caller.caller?.id ?? caller.payerAddress}>
                    <td className="data-table__who">
                      {caller.caller?.name ?? caller.payerAddress ?? '–'}
                    </td>
                    <td>{count(caller.runs)}</td>
                    <td>{usdc(caller.revenueUsdc)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="panel">
            <h2 id="analytics-top-errors">Top errors</h2>
            {analytics.topErrors.length === 0 ? (
              <p className="empty">No failed runs in this period.</p>
            ) : (
              <ul className="error-list" aria-labelledby="analytics-top-errors">
                {analytics.topErrors.map((error) => (
                  <li key={error.message}>
                    <span className="error-list__count">{count(error.runs)}×</span> {error.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </section>
      )}
      <RunLog templateId={templateId} format={format} refreshKey={liveTick} />
    </div>
  );
}
