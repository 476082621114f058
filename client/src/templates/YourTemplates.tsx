import { useQuery } from '@apollo/client/react';
import { useMemo } from 'react';
import { Link, paths } from '../app/router.tsx';
import { graphql } from '../gql/index.ts';
import { type ViewerFormat, viewerFormat } from '../lib/viewerFormat.ts';

export const YourTemplatesQuery = graphql(`
  query YourTemplatesQuery {
    ownedTemplates {
      id
      name
    }
  }
`);

export const TemplateWeekQuery = graphql(`
  query TemplateWeekQuery($templateId: ID!, $timeZone: String!) {
    templateAnalytics(templateId: $templateId, range: { preset: LAST_7_DAYS }, timeZone: $timeZone, top: 1) {
      totals {
        runs
        revenueUsdc
      }
      buckets {
        start
        runs
      }
    }
  }
`);

/** Runs per day as a tiny line: no charting library on this page. */
function Sparkline({ values, label }: { values: number[]; label: string }) {
  const width = 112;
  const height = 28;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values
    .map(
      (value, index) =>
        `${(index * step).toFixed(1)},${(height - 2 - (value / max) * (height - 4)).toFixed(1)}`,
    )
    .join(' ');
  return (
    <svg
      className={values.some((value) => value > 0) ? 'sparkline' : 'sparkline sparkline--flat'}
      width={width}
      height={height}
      role="img"
      aria-label={label}
    >
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}

function TemplateWeek({ id, name, format }: { id: string; name: string; format: ViewerFormat }) {
  const { data } = useQuery(TemplateWeekQuery, {
    variables: { templateId: id, timeZone: format.timeZone },
    fetchPolicy: 'cache-and-network',
  });
  const week = data?.templateAnalytics;
  const daily = week?.buckets.map((bucket) => bucket.runs) ?? [];
  return (
    <li className="owned-template">
      <Link className="owned-template__name" to={paths.analytics(id)}>
        {name}
      </Link>
      {week ? (
        <>
          <span className="owned-template__numbers">
            {format.count(week.totals.runs)} runs · {format.usdc(week.totals.revenueUsdc)}
          </span>
          <Sparkline
            values={daily}
            label={`Runs per day over the last 7 days: ${daily.map(format.count).join(', ')}`}
          />
        </>
      ) : (
        <span className="owned-template__numbers muted">Loading…</span>
      )}
    </li>
  );
}

/** The signed-in viewer's templates with the last 7 days at a glance. */
export function YourTemplates() {
  const { data } = useQuery(YourTemplatesQuery, { fetchPolicy: 'cache-and-network' });
  const owned = data?.ownedTemplates ?? [];
  const format = useMemo(() => viewerFormat(), []);
  if (owned.length === 0) return null;
  return (
    <section className="your-templates panel" aria-label="Your templates">
      <h2>Your templates · last 7 days</h2>
      <ul>
        {owned.map((template) => (
          <TemplateWeek key={template.id} id={template.id} name={template.name} format={format} />
        ))}
      </ul>
    </section>
  );
}
