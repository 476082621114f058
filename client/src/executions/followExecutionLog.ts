import { type ApolloClient, CombinedGraphQLErrors } from '@apollo/client';
import type { Subscription } from 'rxjs';
import { onSocketReconnected } from '../apollo/socketEvents.ts';
import { graphql } from '../gql/index.ts';

export const ExecutionLoggedSubscription = graphql(`
  subscription ExecutionLogged($templateId: ID!, $after: String) {
    executionLogged(templateId: $templateId, after: $after) {
      id
      logPosition
      createdAt
      ...ExecutionRow_execution
    }
  }
`);

/** Wait before resubscribing after a stream the server ended: doubling, reset by an event. */
export const RESUBSCRIBE_FIRST_MS = 500;
export const RESUBSCRIBE_MAX_MS = 10_000;
/** Refusals that another try will not change (the viewer, the template). */
const FINAL_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT']);

interface Options {
  client: ApolloClient;
  templateId: string;
  /** Resume after this position (the newest loaded run's); null starts live. */
  from: string | null;
  /** Each run as its event brings it, in order; the cache already holds it. */
  onExecution(execution: { __typename: 'Execution'; id: string }): void;
  /** The stream starts without a position (none yet, or refused): what came between is unknown. */
  onGap(): void;
}

/**
 * Follows executionLogged for one template, resuming after the last position it saw whenever the
 * stream has to start again: after the socket reconnects (graphql-ws would resend the first
 * request, from its old position or live) and after the server ends the stream (with backoff).
 * Positions are opaque: the last event's is the resume point. Returns `stop`.
 */
export function followExecutionLog({ client, templateId, from, onExecution, onGap }: Options) {
  let position = from;
  let failures = 0;
  let stream: Subscription | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let finalError = false;
  let positionRefused = false;

  const start = () => {
    clearTimeout(retry);
    retry = undefined;
    finalError = false;
    positionRefused = false;
    const previous = stream;
    stream = client
      .subscribe({
        query: ExecutionLoggedSubscription,
        variables: { templateId, after: position },
        // Each start is its own stream, never joined to one being torn down.
        context: { queryDeduplication: false },
      })
      .subscribe({
        next: ({ data, error }) => {
          if (data) {
            failures = 0;
            position = data.executionLogged.logPosition;
            onExecution({ __typename: 'Execution', id: data.executionLogged.id });
          }
          if (error) onError(error);
        },
        complete: () => {
          if (finalError) return;
          if (positionRefused) return startAfterGap();
          const wait = Math.min(RESUBSCRIBE_FIRST_MS * 2 ** failures, RESUBSCRIBE_MAX_MS);
          failures += 1;
          retry = setTimeout(start, wait);
        },
      });
    previous?.unsubscribe();
  };

  const startAfterGap = () => {
    position = null;
    start();
    onGap();
  };

  const onError = (error: unknown) => {
    const refusal = CombinedGraphQLErrors.is(error) ? error.errors[0]?.extensions : undefined;
    if (refusal?.code === 'BAD_USER_INPUT' && refusal.field === 'after') {
      // Not a position of this server (its database was replaced?): start live and re-read.
      positionRefused = true;
    } else if (typeof refusal?.code === 'string' && FINAL_CODES.has(refusal.code)) {
      finalError = true;
      console.warn('[promptmeter] live history refused:', error);
    } else {
      console.warn('[promptmeter] live history interrupted, resuming:', error);
    }
  };

  start();
  const stopListening = onSocketReconnected(() => {
    failures = 0;
    // Without a position, resubscribing live would skip what came while the socket was down.
    if (position === null) startAfterGap();
    else start();
  });

  return () => {
    stopListening();
    clearTimeout(retry);
    stream?.unsubscribe();
    stream = undefined;
  };
}
