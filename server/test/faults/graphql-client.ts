import { decodeGlobalID } from '@pothos/plugin-relay';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { EXECUTION_LOGGED } from '../support/operations.ts';
import { collect, type GraphQLResponse } from '../support/subscription-results.ts';

/** A GraphQL client over HTTP and graphql-ws, as any client of a real server process. */

export interface HttpResult extends GraphQLResponse {
  status: number;
  /** The request never got an answer (connection refused or reset, or no answer in time). */
  transportError?: string;
}

export async function gql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResult> {
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
    });
    const text = await response.text();
    try {
      return { ...JSON.parse(text), status: response.status };
    } catch {
      return { status: response.status, transportError: `not JSON: ${text.slice(0, 200)}` };
    }
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { status: 0, transportError: cause ?? (error as Error).name };
  }
}

/** Alive: /health/live answers 200 (or, where that route does not exist yet, a GraphQL query). */
export async function isAlive(url: string): Promise<boolean> {
  try {
    const live = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(5000) });
    if (live.status !== 404) return live.status === 200;
    const probe = await gql(url, '{ __typename }', {}, { timeoutMs: 5000 });
    return probe.data?.__typename === 'Query';
  } catch {
    return false;
  }
}

/** The database id inside a Relay global id. */
export const dbId = (globalId: string) => decodeGlobalID(globalId).id;

/** executionLogged of a template over a new socket that retries, as a browser client would. */
export function watchRuns(url: string, token: string, templateId: string) {
  const client = createClient({
    url: `${url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  const collector = collect(client, EXECUTION_LOGGED, { templateId });
  return {
    ...collector,
    /** How the subscription ended with an error, if it did (null while it lives). */
    failure: () => collector.error,
    /** Database ids of the runs delivered so far in a final state. */
    ids: () =>
      collector.finals.flatMap((result) => {
        const id = result.data?.executionLogged?.id;
        return id ? [dbId(id)] : [];
      }),
    close: () => client.dispose(),
  };
}
