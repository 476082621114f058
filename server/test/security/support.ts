import type { Client } from 'graphql-ws';
import type { GraphQLResponse } from '../support/subscription-results.ts';
import type { TestApp } from '../support/test-app.ts';

/** One query or mutation over a graphql-ws socket: its single result. */
export function overSocket<Data = Record<string, any>>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<Data>> {
  return new Promise((resolve, reject) => {
    let result: GraphQLResponse<Data> | undefined;
    client.subscribe<Data>(
      { query, variables },
      {
        next: (value) => {
          result = value as GraphQLResponse<Data>;
        },
        error: reject,
        complete: () => (result ? resolve(result) : reject(new Error('no result'))),
      },
    );
  });
}

/** Rows in the tables a refused input must not write to. */
export async function rowCounts(app: TestApp) {
  const [row] = await app.db.query<{ servers: number; templates: number; executions: number }>(
    `SELECT (SELECT count(*)::int FROM servers) AS servers,
            (SELECT count(*)::int FROM templates) AS templates,
            (SELECT count(*)::int FROM x402_prompt_template_usage_logs) AS executions`,
  );
  return row;
}

/** The transports every security case is replayed over. */
export type Send = (
  query: string,
  variables?: Record<string, unknown>,
  token?: string,
) => Promise<GraphQLResponse & { status?: number }>;

export function transports(app: () => TestApp): Array<[string, Send]> {
  return [
    ['HTTP', (query, variables, token) => app().gql(query, variables, { token, network: true })],
    [
      'WebSocket',
      async (query, variables, token) => {
        const client = app().ws(token ?? null);
        try {
          return await overSocket(client, query, variables);
        } finally {
          await client.dispose();
        }
      },
    ],
  ];
}
