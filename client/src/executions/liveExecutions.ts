import type {
  InMemoryCache,
  OperationVariables,
  Reference,
  StoreObject,
  SubscribeToMoreFunction,
  Unmasked,
} from '@apollo/client';
import { useEffect } from 'react';
import type {
  ExecutionList_ConnectionFragment as ExecutionList,
  ExecutionLoggedSubscription as ExecutionLoggedResult,
} from '../gql/graphql.ts';
import { graphql } from '../gql/index.ts';

/**
 * A history list, as every query of one selects it (spread with `@unmask`: the pages read its
 * count and page info themselves, and a connection has no id for `useFragment` to watch), so that
 * a run from the subscription or the Run mutation can be put at its top.
 */
export const ExecutionListFragment = graphql(`
  fragment ExecutionList_connection on ExecutionConnection {
    totalCount
    edges {
      cursor
      node {
        id
        ...ExecutionRow_execution
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
`);

export const ExecutionLoggedSubscription = graphql(`
  subscription ExecutionLogged($templateId: ID!) {
    executionLogged(templateId: $templateId) {
      id
      ...ExecutionRow_execution
    }
  }
`);

type ExecutionEdge = ExecutionList['edges'][number];
/** ExecutionList_connection with `TNode` as node: the run in a query's data, a Reference in the cache. */
type ExecutionListOf<TNode> = Omit<ExecutionList, 'edges'> & {
  edges: ReadonlyArray<Omit<ExecutionEdge, 'node'> & { node: TNode }>;
};

/**
 * The list with `node` first, newest first, counted once: a run reaches this tab from the Run
 * mutation's result and from the subscription, in either order (and again on a refetch), so ids
 * decide. `idOf` reads a node's id: a query's node holds it, the cache's holds a Reference.
 */
export function prependExecution<
  TNode,
  TConnection extends ExecutionListOf<TNode> | null | undefined,
>(connection: TConnection, node: TNode, idOf: (node: TNode) => string | undefined): TConnection {
  const id = idOf(node);
  if (!connection || connection.edges.some((edge) => idOf(edge.node) === id)) return connection;
  return {
    ...connection,
    totalCount: connection.totalCount + 1,
    // The new run comes without its cursor. Paging forward only ever uses the endCursor, which a
    // new first edge does not change.
    edges: [{ __typename: 'ExecutionEdge', cursor: '', node }, ...connection.edges],
  };
}

type LiveNode = Unmasked<ExecutionLoggedResult>['executionLogged'];
type LiveData = { myExecutions?: ExecutionListOf<LiveNode> | null };

/**
 * Puts a run the viewer just made at the top of the cached history of its template, as its
 * subscription event does: whichever comes second finds it there. `execution` is already in the
 * cache, with the fields of ExecutionRow_execution.
 */
export function addRunToHistory(
  cache: InMemoryCache,
  templateId: string,
  execution: StoreObject | Reference,
) {
  // relayStylePagination(['templateId']) keeps one entry per template, whatever the page args.
  const templateHistory = cache.policies.getStoreFieldName({
    typename: 'Query',
    fieldName: 'myExecutions',
    args: { templateId },
  });
  cache.modify<{ myExecutions: ExecutionListOf<Reference> }>({
    fields: {
      myExecutions: (existing, { storeFieldName, toReference, readField, isReference }) => {
        if (storeFieldName !== templateHistory || isReference(existing)) return existing;
        const node = toReference(execution);
        return node
          ? prependExecution(existing, node, (ref) => readField<string>('id', ref))
          : existing;
      },
    },
  });
}

/**
 * Keeps a query's `myExecutions` list live: each run of the template is added as it ends. The
 * query selects `myExecutions { ...ExecutionList_connection @unmask }`.
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
        // TypeScript cannot see through Unmasked<TData> generically; the shape is ExecutionList_connection.
        const previous = previousData as LiveData;
        const next = {
          ...previous,
          myExecutions: prependExecution(
            previous.myExecutions,
            subscriptionData.data.executionLogged,
            (node) => node.id,
          ),
        };
        return next as Unmasked<TData>;
      },
      onError: (error) => console.warn('[promptmeter] live history stopped:', error),
    });
  }, [subscribeToMore, templateId, enabled]);
}
