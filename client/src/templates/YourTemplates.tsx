import { useQuery } from '@apollo/client/react';
import { Link, paths } from '../app/router.tsx';
import { graphql } from '../gql/index.ts';

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
    <svg className="sparkline" width={width} height={height} role="img" aria-label={label}>
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}

function TemplateWeek({ id, name }: { id: string; name: string }) {
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const { data } = useQuery(TemplateWeekQuery, {
    variables: { templateId: id, timeZone },
    fetchPolicy: 'cache-and-network',
  });
  const week = data?.templateAnalytics;
  const number = new Intl.NumberFormat();
  return (
    <li className="owned-template">
      <Link to={paths.analytics(id)}>{name}</Link>
      {week ? (
        <>
          <span className="owned-template__numbers">
            {number.format(week.totals.runs)} runs ·{' '}
            {new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 }).format(
              Number(week.totals.revenueUsdc),
            )}{' '}
            USDC
          </span>
          <Sparkline
            values={week.buckets.map((bucket) => bucket.runs)}
            label={`Runs per day over the last 7 days: ${week.buckets.map((bucket) => bucket.runs).join(', ')}`}
          />
        </>
      ) : (
        <span className="muted">…</span>
      )}
    </li>
  );
}

/** The signed-in viewer's templates with the last 7 days at a glance. */
export function YourTemplates() {
  const { data } = useQuery(YourTemplatesQuery, { fetchPolicy: 'cache-and-network' });
  const owned = data?.ownedTemplates ?? [];
  if (owned.length === 0) return null;
  return (
    <section className="your-templates panel" aria-label="Your templates">
      <h2>Your templates · last 7 days</h2>
      <ul>
        {owned.map((template) => (
          <TemplateWeek key={template.id} id={template.id} name={template.name} />
        ))}
      </ul>
    </section>
  );
}
