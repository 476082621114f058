import type { OperationVariables, SubscribeToMoreFunction, Unmasked } from '@apollo/client';
import { useEffect } from 'react';
import type { ExecutionLoggedSubscription as ExecutionLoggedResult } from '../gql/graphql.ts';
import { graphql } from '../gql/index.ts';

export const ExecutionLoggedSubscription = graphql(`
  subscription ExecutionLogged($templateId: ID!) {
    executionLogged(templateId: $templateId) {
      id
      ...ExecutionRow_execution
    }
  }
`);

interface ExecutionsConnection<TNode extends { id: string }> {
  totalCount: number;
  edges: ReadonlyArray<{ __typename: 'ExecutionEdge'; cursor: string; node: TNode }>;
}

/**
 * The list with `node` first, newest first, counted once: a run reaches this tab both through
 * the subscription and through other paths (a refetch, another query), so ids decide.
 */
export function prependExecution<
  TNode extends { id: string },
  TData extends { myExecutions?: ExecutionsConnection<TNode> | null },
>(data: TData, node: TNode): TData {
  const connection = data.myExecutions;
  if (!connection || connection.edges.some((edge) => edge.node.id === node.id)) return data;
  return {
    ...data,
    myExecutions: {
      ...connection,
      totalCount: connection.totalCount + 1,
      // The subscription sends the node, not its cursor. Paging forward only ever uses the
      // endCursor, which a new first edge does not change.
      edges: [{ __typename: 'ExecutionEdge', cursor: '', node }, ...connection.edges],
    },
  };
}

type LiveNode = Unmasked<ExecutionLoggedResult>['executionLogged'];
type LiveData = { myExecutions?: ExecutionsConnection<LiveNode> | null };

/**
 * Keeps a query's `myExecutions` list live: each run of the template is added as it ends. The
 * query must select `myExecutions { totalCount edges { cursor node { id ...ExecutionRow_execution } } }`,
 * the same node the subscription sends.
 */
export function useLiveExecutions<
  TData extends { myExecutions?: unknown },
  TVariables extends OperationVariables,
>(
  subscribeToMore: SubscribeToMoreFunction<TData, TVariables>,
  templateId: string,
  enabled: boolean,
) {
  useEffect(() => {
    if (!enabled) return;
    return subscribeToMore({
      document: ExecutionLoggedSubscription,
      variables: { templateId },
      updateQuery: (_unsafePrevious, { complete, previousData, subscriptionData }) => {
        if (!complete) return undefined;
        // TypeScript cannot see through Unmasked<TData> generically; the shape is the contract above.
        const next = prependExecution(
          previousData as LiveData,
          subscriptionData.data.executionLogged,
        );
        return next as Unmasked<TData>;
      },
      onError: (error) => console.warn('[promptmeter] live history stopped:', error),
    });
  }, [subscribeToMore, templateId, enabled]);
}
