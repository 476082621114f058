import type { InMemoryCache, Reference, StoreObject } from '@apollo/client';
import { useApolloClient } from '@apollo/client/react';
import { useEffect, useRef } from 'react';
import type { ExecutionList_ConnectionFragment as ExecutionList } from '../gql/graphql.ts';
import { graphql } from '../gql/index.ts';
import { followExecutionLog } from './followExecutionLog.ts';

/**
 * A history list, as every query of one selects it (spread with `@unmask`: the pages read its
 * count and page info themselves, and a connection has no id for `useFragment` to watch), so that
 * a run from the subscription or the Run mutation can be put in it. `logPosition` is where live
 * history resumes from before any event came.
 */
export const ExecutionListFragment = graphql(`
  fragment ExecutionList_connection on ExecutionConnection {
    totalCount
    edges {
      cursor
      node {
        id
        logPosition
        ...ExecutionRow_execution
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
`);

type ExecutionEdge = ExecutionList['edges'][number];
/** ExecutionList_connection with `TNode` as node: the run in a query's data, a Reference in the cache. */
type ExecutionListOf<TNode> = Omit<ExecutionList, 'edges'> & {
  edges: ReadonlyArray<Omit<ExecutionEdge, 'node'> & { node: TNode }>;
};

/**
 * The list with `node` in it, newest first, counted once. A run reaches this tab from the Run
 * mutation's result and from the subscription (when it starts and when it ends), in any order,
 * and again when a stream resumes, so ids decide: a known run is left where it is (the cache
 * updates it in place, by id). A new one goes above the first older run; one older than every
 * loaded run while more pages exist is further down, in a page not loaded yet (resuming
 * re-delivers runs that changed late), so the list is left alone.
 * `read` reads a node's field: a query's node holds its fields, the cache's is a Reference.
 */
export function insertExecution<
  TNode,
  TConnection extends ExecutionListOf<TNode> | null | undefined,
>(
  connection: TConnection,
  node: TNode,
  read: (node: TNode, field: 'id' | 'createdAt') => string | undefined,
): TConnection {
  const id = read(node, 'id');
  if (!connection || connection.edges.some((edge) => read(edge.node, 'id') === id)) {
    return connection;
  }
  const startedAt = Date.parse(read(node, 'createdAt') ?? '');
  const olderIndex = connection.edges.findIndex(
    (edge) => Date.parse(read(edge.node, 'createdAt') ?? '') < startedAt,
  );
  if (olderIndex === -1 && connection.pageInfo.hasNextPage) return connection;
  const at = olderIndex === -1 ? connection.edges.length : olderIndex;
  return {
    ...connection,
    totalCount: connection.totalCount + 1,
    // The new run comes without its cursor. Paging forward only ever uses the endCursor, which
    // this does not change (a run is only appended to a list that has no next page).
    edges: [
      ...connection.edges.slice(0, at),
      { __typename: 'ExecutionEdge', cursor: '', node },
      ...connection.edges.slice(at),
    ],
  };
}

/**
 * Puts a run in the cached history of its template (the Run mutation's result, a subscription
 * event): whichever comes second finds it there. `execution` is already in the cache, with the
 * fields of ExecutionRow_execution.
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
          ? insertExecution(existing, node, (ref, field) => readField<string>(field, ref))
          : existing;
      },
    },
  });
}

interface LiveHistory {
  templateId: string;
  /** The query's `myExecutions` (ExecutionList_connection); live once it has loaded. */
  history: ExecutionList | null | undefined;
  enabled: boolean;
  /** Re-reads the history: only when the stream cannot resume (see followExecutionLog). */
  refetch: () => unknown;
}

/**
 * Keeps a query's `myExecutions` list live: each run of the template shows when it starts and
 * changes in place when it ends. The stream starts once the history has loaded, after the
 * position of its newest run, so nothing that changed since the query is missed.
 */
export function useLiveExecutions({ templateId, history, enabled, refetch }: LiveHistory) {
  const client = useApolloClient();
  const loaded = enabled && Boolean(history);
  // Read when the stream starts, not a reason to restart it.
  const latest = useRef({ position: null as string | null, refetch });
  latest.current = { position: history?.edges[0]?.node.logPosition ?? null, refetch };

  useEffect(() => {
    if (!loaded) return;
    // createCache() makes an InMemoryCache; ApolloClient types it as any ApolloCache.
    const cache = client.cache as InMemoryCache;
    return followExecutionLog({
      client,
      templateId,
      from: latest.current.position,
      onExecution: (execution) => addRunToHistory(cache, templateId, execution),
      onGap: () => void latest.current.refetch(),
    });
  }, [client, templateId, loaded]);
}
