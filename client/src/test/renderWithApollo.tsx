import { ApolloClient, ApolloLink } from '@apollo/client';
import { ApolloProvider } from '@apollo/client/react';
import { MockLink, MockSubscriptionLink } from '@apollo/client/testing';
import { render } from '@testing-library/react';
import { OperationTypeNode } from 'graphql';
import type { ReactElement } from 'react';
import { createCache } from '../apollo/client.ts';
import { SessionProvider } from '../session/SessionProvider.tsx';
import { tokenStore } from '../session/tokenStore.ts';

interface Options {
  mocks?: ReadonlyArray<MockLink.MockedResponse>;
  signedIn?: boolean;
  /** Drives streamed runs (runTemplate) by hand; without it a mock answers them. */
  runStream?: MockSubscriptionLink;
}

/**
 * Renders with a client configured like the app's (same cache policies, data masking on), queries
 * and mutations answered by MockLink, subscriptions driven by hand through MockSubscriptionLink.
 */
export function renderWithApollo(
  ui: ReactElement,
  { mocks = [], signedIn = true, runStream }: Options = {},
) {
  const subscriptions = new MockSubscriptionLink();
  const requests: string[] = [];
  const record = new ApolloLink((operation, forward) => {
    requests.push(operation.operationName ?? '(anonymous)');
    return forward(operation);
  });
  const client = new ApolloClient({
    cache: createCache(),
    dataMasking: true,
    link: record.concat(
      ApolloLink.split(
        // Live history by hand; a streamed run (runTemplate) is answered by a mock like a mutation.
        (operation) =>
          operation.operationType === OperationTypeNode.SUBSCRIPTION &&
          operation.operationName !== 'RunTemplateStream',
        subscriptions,
        ApolloLink.split(
          (operation) => Boolean(runStream) && operation.operationName === 'RunTemplateStream',
          runStream ?? new MockLink([]),
          new MockLink(mocks),
        ),
      ),
    ),
  });
  tokenStore.set(signedIn ? 'header.payload.signature' : null);
  const view = render(
    <ApolloProvider client={client}>
      <SessionProvider onSessionChange={async () => {}}>{ui}</SessionProvider>
    </ApolloProvider>,
  );
  return { ...view, client, subscriptions, requests };
}
