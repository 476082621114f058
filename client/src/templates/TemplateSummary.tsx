import type { FragmentType } from '@apollo/client';
import { useFragment } from '@apollo/client/react';
import { Link, paths } from '../app/router.tsx';
import { graphql } from '../gql/index.ts';
import { formatUsdc, isZeroAmount } from '../lib/format.ts';

export const TemplateSummaryFragment = graphql(`
  fragment TemplateSummary_template on Template {
    id
    name
    description
    priceUsdc
    model
    viewerIsOwner
    owner {
      id
      name
    }
  }
`);

/** A template's heading: what it does, who made it, what a run costs. */
export function TemplateSummary({
  template,
}: {
  template: FragmentType<typeof TemplateSummaryFragment>;
}) {
  const { data, complete } = useFragment({ fragment: TemplateSummaryFragment, from: template });
  if (!complete) return null;
  return (
    <header className="template-summary">
      <h1>{data.name}</h1>
      <p className="template-summary__meta">
        <span className="price" data-free={isZeroAmount(data.priceUsdc)}>
          {isZeroAmount(data.priceUsdc) ? 'Free' : `${formatUsdc(data.priceUsdc)} per run`}
        </span>
        <span>by {data.owner.name ?? 'an anonymous author'}</span>
        <span className="muted">{data.model}</span>
      </p>
      {data.description && <p className="template-summary__description">{data.description}</p>}
      {data.viewerIsOwner && (
        <p className="notice notice--info">
          You own this template: your runs are free.{' '}
          <Link to={paths.analytics(data.id)}>Analytics, run log and export →</Link>
        </p>
      )}
    </header>
  );
}
