import { useQuery } from '@apollo/client/react';
import { Link, paths } from '../app/router.tsx';
import { graphql } from '../gql/index.ts';
import { describeError } from '../lib/errors.ts';
import { useSession } from '../session/SessionProvider.tsx';
import { CollapsiblePanel } from '../ui/CollapsiblePanel.tsx';
import { ExecutionRow } from './ExecutionRow.tsx';
import { useLiveExecutions } from './liveExecutions.ts';

export const RECENT_EXECUTIONS = 5;
export const EMPTY_HISTORY_TEXT = 'No executions yet. Run this template to see your history.';

export const YourExecutionsQuery = graphql(`
  query YourExecutionsQuery($templateId: ID!, $first: Int!) {
    myExecutions(templateId: $templateId, first: $first) {
      ...ExecutionList_connection @unmask
    }
  }
`);

/**
 * The collapsible "Your Executions" section of a template: the viewer's 5 most recent runs, kept
 * live. It runs its own query (skipped when signed out) so that a failure here never takes the
 * template page down with it: `myExecutions` is non-null at the root, so an error in one shared
 * query would null the whole page.
 */
export function YourExecutions({ templateId }: { templateId: string }) {
  const { signedIn } = useSession();
  const { data, error, loading, refetch } = useQuery(YourExecutionsQuery, {
    variables: { templateId, first: RECENT_EXECUTIONS },
    skip: !signedIn,
  });
  const connection = data?.myExecutions;
  useLiveExecutions({ templateId, history: connection, enabled: signedIn, refetch });

  const count = connection?.totalCount;

  return (
    <CollapsiblePanel
      className="your-executions"
      title={
        <>
          Your Executions
          {count !== undefined && <span className="badge">{count}</span>}
        </>
      }
      defaultExpanded
      labelledByTitle
    >
      {!signedIn ? (
        <p className="muted">
          <Link to={paths.signIn(paths.template(templateId))}>Sign in</Link> to see your executions
          of this template.
        </p>
      ) : error ? (
        <div className="notice notice--error" role="alert">
          <p>Could not load your executions: {describeError(error)}</p>
          <button type="button" className="button button--small" onClick={() => void refetch()}>
            Try again
          </button>
        </div>
      ) : loading && !connection ? (
        <p className="muted" role="status">
          Loading your executions…
        </p>
      ) : !connection || connection.edges.length === 0 ? (
        <p className="empty">{EMPTY_HISTORY_TEXT}</p>
      ) : (
        <>
          <ol className="execution-list" aria-label="Your most recent executions">
            {connection.edges.slice(0, RECENT_EXECUTIONS).map(({ node }) => (
              <ExecutionRow key={node.id} execution={node} />
            ))}
          </ol>
          {connection.totalCount > RECENT_EXECUTIONS && (
            <Link className="view-all" to={paths.executions(templateId)}>
              View all {connection.totalCount} executions
            </Link>
          )}
        </>
      )}
    </CollapsiblePanel>
  );
}
