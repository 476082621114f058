import {
  ApolloClient,
  ApolloLink,
  CombinedGraphQLErrors,
  HttpLink,
  InMemoryCache,
} from '@apollo/client';
import { ErrorLink } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { Kind, OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import { socketReconnected } from './socketEvents.ts';
import { typePolicies } from './typePolicies.ts';

const GRAPHQL_PATH = '/graphql';
/** graphql-ws close code for a refused connection_init (the server's answer to a bad token). */
const FORBIDDEN = 4403;
/** Our own close code for "reconnect with the new token". */
const RESTART = 4205;

export const createCache = () => new InMemoryCache({ typePolicies });

export interface ApolloSetup {
  client: ApolloClient;
  /** Reconnects the WebSocket so that live subscriptions run as the current token's user. */
  restartSubscriptions(): void;
}

interface Options {
  getToken: () => string | null;
  /** The server refused the token we sent (expired, or signed with another secret). */
  onInvalidToken: () => void;
}

/**
 * The app's one Apollo Client: queries and mutations over HTTP, subscriptions over graphql-ws on
 * the same /graphql path, the token sent with each HTTP request and in each socket's
 * connectionParams.
 */
export function createApolloClient({ getToken, onInvalidToken }: Options): ApolloSetup {
  const authorization = () => {
    const token = getToken();
    return token ? `Bearer ${token}` : null;
  };

  const withToken = new ApolloLink((operation, forward) => {
    const value = authorization();
    if (value) {
      operation.setContext(({ headers }) => ({ headers: { ...headers, authorization: value } }));
    }
    return forward(operation);
  });

  const signOutOnRejectedToken = new ErrorLink(({ error, operation }) => {
    const sentToken = Boolean(operation.getContext().headers?.authorization);
    const rejected =
      CombinedGraphQLErrors.is(error) &&
      error.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
    if (sentToken && rejected) onInvalidToken();
  });

  const socket = createSocket(authorization, onInvalidToken);

  const http = new HttpLink({ uri: GRAPHQL_PATH });
  const transport = ApolloLink.split(
    (operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION,
    ApolloLink.split(
      runsATemplate,
      // A run is never sent twice: graphql-ws resends a socket's subscriptions after a
      // reconnect, which for runTemplate would start (and maybe pay for) a second run. Runs get
      // a socket of their own that does not retry; the server stops a run whose socket drops.
      new GraphQLWsLink(runSocket(authorization)),
      new GraphQLWsLink(socket.client),
    ),
    ApolloLink.from([withToken, http]),
  );

  const client: ApolloClient = new ApolloClient({
    cache: createCache(),
    link: ApolloLink.from([signOutOnRejectedToken, transport]),
    dataMasking: true,
  });

  return { client, restartSubscriptions: socket.restart };
}

/** Whether the operation is a streamed run (Subscription.runTemplate). */
function runsATemplate(operation: ApolloLink.Operation): boolean {
  const definition = getMainDefinition(operation.query);
  return definition.selectionSet.selections.some(
    (selection) => selection.kind === Kind.FIELD && selection.name.value === 'runTemplate',
  );
}

/** The socket of streamed runs: opened by a run, closed after the last one, never retried. */
function runSocket(authorization: () => string | null) {
  return createClient({
    url: socketUrl,
    lazy: true,
    connectionParams: () => {
      const value = authorization();
      return value ? { authorization: value } : {};
    },
    retryAttempts: 0,
  });
}

function socketUrl() {
  const url = new URL(GRAPHQL_PATH, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/** A graphql-ws client that can be told to reconnect (graphql-ws's documented restart recipe). */
function createSocket(authorization: () => string | null, onForbidden: () => void) {
  let open: WebSocket | null = null;
  let restartWhenOpen = false;

  const restart = () => {
    if (!open) return; // not connected: the next connection reads the token afresh
    if (open.readyState === WebSocket.OPEN) open.close(RESTART, 'Client Restart');
    else restartWhenOpen = true;
  };

  const client = createClient({
    url: socketUrl,
    lazy: true,
    connectionParams: () => {
      const value = authorization();
      return value ? { authorization: value } : {};
    },
    // A live page should outlast a server restart: keep trying, at most 5 s apart.
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) =>
      new Promise((resolve) =>
        setTimeout(resolve, Math.min(500 * 2 ** retries, 5000) + Math.random() * 300),
      ),
    on: {
      opened: (socket) => {
        open = socket as WebSocket;
        if (restartWhenOpen) {
          restartWhenOpen = false;
          restart();
        }
      },
      // graphql-ws has resent every subscription as first sent; live history resumes from where
      // it got to instead (executions/followExecutionLog.ts), so nothing is refetched here.
      connected: (_socket, _payload, wasRetry) => {
        if (wasRetry) socketReconnected();
      },
      closed: (event) => {
        open = null;
        if ((event as CloseEvent | undefined)?.code === FORBIDDEN) onForbidden();
      },
    },
  });

  return { client, restart };
}
