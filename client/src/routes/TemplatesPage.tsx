import { NetworkStatus } from '@apollo/client';
import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link, paths } from '../app/router.tsx';
import { graphql } from '../gql/index.ts';
import { useSession } from '../session/SessionProvider.tsx';
import { PublishTemplateForm } from '../templates/PublishTemplateForm.tsx';
import { TemplateListItem } from '../templates/TemplateListItem.tsx';
import { YourTemplates } from '../templates/YourTemplates.tsx';
import { CollapsiblePanel } from '../ui/CollapsiblePanel.tsx';
import { ErrorNotice, Loading } from '../ui/Feedback.tsx';

const PAGE_SIZE = 20;

export const TemplatesPageQuery = graphql(`
  query TemplatesPageQuery($first: Int!, $after: String) {
    templates(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          ...TemplateListItem_template
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export function TemplatesPage() {
  const { data, error, networkStatus, refetch, fetchMore } = useQuery(TemplatesPageQuery, {
    variables: { first: PAGE_SIZE },
    fetchPolicy: 'cache-and-network',
  });
  const templates = data?.templates;
  const [loadMoreError, setLoadMoreError] = useState<unknown>(null);

  return (
    <div className="page">
      <div className="page__header">
        <h1>Prompt templates</h1>
        <p className="muted">Run a template, pay per run, and watch your history update live.</p>
      </div>
      <PublishSection />
      <OwnedTemplates />
      {error && !templates ? (
        <ErrorNotice
          error={error}
          title="Could not load templates."
          onRetry={() => void refetch()}
        />
      ) : !templates ? (
        <Loading>Loading templates…</Loading>
      ) : templates.edges.length === 0 ? (
        <p className="empty">No templates yet. Publish the first one.</p>
      ) : (
        <>
          <ul className="template-list" aria-label="Templates">
            {templates.edges.map(({ node }) => (
              <TemplateListItem key={node.id} template={node} />
            ))}
          </ul>
          {loadMoreError !== null && (
            <ErrorNotice error={loadMoreError} title="Could not load more." />
          )}
          {templates.pageInfo.hasNextPage && (
            <button
              type="button"
              className="button load-more"
              disabled={networkStatus === NetworkStatus.fetchMore}
              onClick={() => {
                setLoadMoreError(null);
                fetchMore({ variables: { after: templates.pageInfo.endCursor } }).catch(
                  setLoadMoreError,
                );
              }}
            >
              {networkStatus === NetworkStatus.fetchMore ? 'Loading…' : 'Load more'}
            </button>
          )}
        </>
      )}
    </div>
  );
}

function OwnedTemplates() {
  return useSession().signedIn ? <YourTemplates /> : null;
}

function PublishSection() {
  const { signedIn } = useSession();
  if (!signedIn) {
    return (
      <p className="muted">
        <Link to={paths.signIn(paths.templates())}>Sign in</Link> to publish your own template.
      </p>
    );
  }
  return (
    <CollapsiblePanel className="publish" title="Publish a template" unmountWhenCollapsed>
      <PublishTemplateForm />
    </CollapsiblePanel>
  );
}
