import type { IncomingMessage } from 'node:http';
import type { GraphiQLOptions } from 'graphql-yoga';
import { type Authenticator, demoUserId } from '../auth/authenticator.ts';
import { isLoopbackRequest } from './policy.ts';

/** In development GraphiQL opens with a token for this demo user already in its headers. */
export const GRAPHIQL_USER = { sub: demoUserId('alice'), name: 'alice' };

/** What a newcomer sees in GraphiQL at /graphql: the operations to try, in order. */
export const GRAPHIQL_DEFAULT_QUERY = `# Welcome to promptmeter.
# In development the Headers tab already holds a token for the demo user "alice"
# (for someone else: npm run -s token -- bob, and replace it).
# 1. Run "Templates", copy a template id, and put it in Variables: { "templateId": "<id>" }
# 2. Open a second GraphiQL tab (same headers and variables) and run "Live": it waits.
# 3. Run "Run" here: the run's output comes back, and the other tab shows it arrive.
# 4. Run "Stream": the same run, its text arriving as the model writes it (stop it to cancel).

query Templates {
  templates(first: 10) {
    edges { node { id name description priceUsdc owner { name } variables { name required } } }
  }
}

mutation Run($templateId: ID!) {
  executeTemplate(input: { templateId: $templateId, variables: { topic: "GraphQL subscriptions" } }) {
    output
    execution { id status inputTokens outputTokens amountPaid executionTimeMs createdAt }
  }
}

subscription Stream($templateId: ID!) {
  runTemplate(input: { templateId: $templateId, variables: { topic: "tides" } }) {
    __typename
    ... on ExecutionStarted { execution { id status } }
    ... on ExecutionOutputDelta { text }
    ... on ExecutionFinished { output execution { id status errorMessage inputTokens outputTokens amountPaid } }
  }
}

query History($templateId: ID!) {
  myExecutions(templateId: $templateId, first: 5) {
    totalCount
    edges { cursor node { id status errorMessage inputTokens outputTokens createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}

subscription Live($templateId: ID!) {
  executionLogged(templateId: $templateId) { id status inputTokens outputTokens createdAt }
}
`;

/** Yoga's `graphiql` option, per page load. */
export function graphiqlOptions(authenticator: Authenticator, signedIn: boolean) {
  return async (
    _request: Request,
    serverContext?: { req?: IncomingMessage },
  ): Promise<GraphiQLOptions> => ({
    title: 'promptmeter',
    subscriptionsProtocol: 'WS',
    defaultQuery: GRAPHIQL_DEFAULT_QUERY,
    // Development: open signed in as the demo user "alice", so the operations run as they are.
    // Loopback clients only: a token on a page any address can load would be anyone's.
    headers:
      signedIn && isLoopbackRequest(serverContext?.req)
        ? JSON.stringify({ Authorization: `Bearer ${await authenticator.mint(GRAPHIQL_USER)}` })
        : undefined,
  });
}
