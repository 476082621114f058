import type { FragmentType } from '@apollo/client';
import { useFragment } from '@apollo/client/react';
import { Link, paths } from '../app/router.tsx';
import { graphql } from '../gql/index.ts';
import { formatUsdc } from '../lib/format.ts';

export const TemplateListItemFragment = graphql(`
  fragment TemplateListItem_template on Template {
    id
    name
    description
    priceUsdc
    owner {
      id
      name
    }
  }
`);

export function TemplateListItem({
  template,
}: {
  template: FragmentType<typeof TemplateListItemFragment>;
}) {
  const { data, complete } = useFragment({ fragment: TemplateListItemFragment, from: template });
  if (!complete) return null;
  return (
    <li className="template-card">
      <h3 className="template-card__name">
        <Link to={paths.template(data.id)}>{data.name}</Link>
      </h3>
      <p className="template-card__meta">
        <span>by {data.owner.name ?? 'an anonymous author'}</span>
        <span className="price">{formatUsdc(data.priceUsdc)}</span>
      </p>
      {data.description && <p className="template-card__description">{data.description}</p>}
    </li>
  );
}
