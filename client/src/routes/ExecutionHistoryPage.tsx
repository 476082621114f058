import { NetworkStatus } from '@apollo/client';
import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { NotFoundPage } from '../app/NotFoundPage.tsx';
import { Link, paths } from '../app/router.tsx';
import { ExecutionRow } from '../executions/ExecutionRow.tsx';
import { useLiveExecutions } from '../executions/liveExecutions.ts';
import { EMPTY_HISTORY_TEXT } from '../executions/YourExecutions.tsx';
import { graphql } from '../gql/index.ts';
import { errorCode } from '../lib/errors.ts';
import { useSession } from '../session/SessionProvider.tsx';
import { ErrorNotice, Loading } from '../ui/Feedback.tsx';

const PAGE_SIZE = 20;

export const ExecutionHistoryPageQuery = graphql(`
  query ExecutionHistoryPageQuery($templateId: ID!, $first: Int!, $after: String) {
    template(id: $templateId) {
      id
      name
    }
    myExecutions(templateId: $templateId, first: $first, after: $after) {
      ...ExecutionList_connection @unmask
    }
  }
`);

/** "View all": every run of a template by the viewer, newest first, paged, live. */
export function ExecutionHistoryPage({ templateId }: { templateId: string }) {
  const { signedIn } = useSession();
  if (!signedIn) {
    return (
      <div className="page page--narrow">
        <h1>Your executions</h1>
        <p>
          <Link to={paths.signIn(paths.executions(templateId))}>Sign in</Link> to see your history.
        </p>
      </div>
    );
  }
  return <History templateId={templateId} />;
}

function History({ templateId }: { templateId: string }) {
  const { data, error, networkStatus, refetch, fetchMore } = useQuery(ExecutionHistoryPageQuery, {
    variables: { templateId, first: PAGE_SIZE },
    // The detail page may have cached the first 5: show them at once, then the full page.
    fetchPolicy: 'cache-and-network',
  });
  useLiveExecutions({ templateId, history: data?.myExecutions, enabled: true, refetch });
  const [loadMoreError, setLoadMoreError] = useState<unknown>(null);

  if (error && !data) {
    if (errorCode(error) === 'BAD_USER_INPUT') return <NotFoundPage what="This template" />;
    return (
      <div className="page">
        <ErrorNotice
          error={error}
          title="Could not load your executions."
          onRetry={() => void refetch()}
        />
      </div>
    );
  }
  if (!data) {
    return (
      <div className="page">
        <Loading>Loading your executions…</Loading>
      </div>
    );
  }
  if (!data.template) return <NotFoundPage what="This template" />;

  const { edges, pageInfo, totalCount } = data.myExecutions;
  const loadingMore = networkStatus === NetworkStatus.fetchMore;
  return (
    <div className="page history-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to={paths.templates()}>Templates</Link>
        <span aria-hidden="true">/</span>
        <Link to={paths.template(templateId)}>{data.template.name}</Link>
      </nav>
      <h1>Your executions</h1>
      <p className="muted" aria-live="polite">
        {totalCount === 1 ? '1 run' : `${totalCount} runs`} of {data.template.name}, newest first
        {edges.length < totalCount ? ` · showing ${edges.length}` : ''}
      </p>
      {edges.length === 0 ? (
        <p className="empty">{EMPTY_HISTORY_TEXT}</p>
      ) : (
        <ol className="execution-list execution-list--full" aria-label="Your executions">
          {edges.map(({ node }) => (
            <ExecutionRow key={node.id} execution={node} />
          ))}
        </ol>
      )}
      {loadMoreError !== null && <ErrorNotice error={loadMoreError} title="Could not load more." />}
      {pageInfo.hasNextPage && (
        <button
          type="button"
          className="button load-more"
          disabled={loadingMore}
          onClick={() => {
            setLoadMoreError(null);
            fetchMore({ variables: { after: pageInfo.endCursor } }).catch(setLoadMoreError);
          }}
        >
          {loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}
