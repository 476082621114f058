import type { InMemoryCache } from '@apollo/client';
import { useApolloClient } from '@apollo/client/react';
import { useEffect, useRef, useState } from 'react';
import { addRunToHistory } from '../executions/liveExecutions.ts';
import type { RunTemplateStreamSubscription } from '../gql/graphql.ts';
import { graphql } from '../gql/index.ts';
import { errorCode, errorExtensions } from '../lib/errors.ts';
import { asPaymentRequired, type PaymentRequired } from '../payments/x402.ts';

/** The streamed run (Subscription.runTemplate): its row, the text as it is written, the end. */
export const RunTemplateStream = graphql(`
  subscription RunTemplateStream($input: ExecuteTemplateInput!) {
    runTemplate(input: $input) {
      __typename
      ... on ExecutionStarted {
        execution {
          id
          status
          ...ExecutionRow_execution
        }
      }
      ... on ExecutionOutputDelta {
        text
      }
      ... on ExecutionFinished {
        output
        execution {
          id
          status
          errorMessage
          ...PaymentReceipt_execution
          ...ExecutionRow_execution
        }
      }
    }
  }
`);

export const CancelExecutionMutation = graphql(`
  mutation CancelExecution($id: ID!) {
    cancelExecution(id: $id) {
      id
      status
      errorMessage
    }
  }
`);

type StreamEvent = RunTemplateStreamSubscription['runTemplate'];
export type FinishedRun = Extract<StreamEvent, { __typename: 'ExecutionFinished' }>;

interface RunInput {
  templateId: string;
  variables: Record<string, string>;
}

/** Where the last run is: sent, streaming (its text so far), ended, or refused. */
export interface RunState {
  phase: 'idle' | 'starting' | 'running' | 'finished' | 'error';
  executionId: string | null;
  /** When this page saw the run start (its elapsed time is counted from here). */
  startedAt: string | null;
  text: string;
  finished: FinishedRun | null;
  error: unknown;
  /** Stop was pressed; the run's end is on its way. */
  stopping: boolean;
}

const IDLE: RunState = {
  phase: 'idle',
  executionId: null,
  startedAt: null,
  text: '',
  finished: null,
  error: null,
  stopping: false,
};

/** A run that asked for payment: the same input is sent again with the signed payment. */
export interface Checkout {
  input: RunInput;
  requirements: PaymentRequired | null;
}

/**
 * Runs a template as a stream; when the run asks for payment, keeps the checkout (the run and
 * what to pay) until the payer signs, then sends the same run again, paid. Stop asks the server
 * to cancel the run (cancelExecution), whose stream then ends with the cancelled row.
 */
export function useCheckout() {
  const client = useApolloClient();
  const [run, setRun] = useState<RunState>(IDLE);
  const [checkout, setCheckoutState] = useState<Checkout | null>(null);
  // Read when a wallet has signed, which may be after a new Run replaced the checkout.
  const checkoutRef = useRef<Checkout | null>(null);
  const subscription = useRef<{ unsubscribe(): void } | null>(null);
  const setCheckout = (next: Checkout | null) => {
    checkoutRef.current = next;
    setCheckoutState(next);
  };

  // Leaving the page ends the stream: the server stops the run (FAILED "cancelled").
  useEffect(() => () => subscription.current?.unsubscribe(), []);

  function stream(input: RunInput & { payment?: string }): Promise<unknown> {
    subscription.current?.unsubscribe();
    setRun({ ...IDLE, phase: 'starting' });
    return new Promise((resolve) => {
      const fail = (error: unknown) => {
        setRun((current) => ({ ...current, phase: 'error', error, stopping: false }));
        resolve(error);
      };
      subscription.current = client
        .subscribe({ query: RunTemplateStream, variables: { input } })
        .subscribe({
          next: ({ data, error }) => {
            if (error) return fail(error);
            const event = data?.runTemplate;
            if (!event) return;
            if (event.__typename === 'ExecutionStarted') {
              const { id } = event.execution;
              // The new run shows in the history at once (its live event may come later).
              const cache = client.cache as InMemoryCache;
              addRunToHistory(cache, input.templateId, { __typename: 'Execution', id });
              setRun((current) => ({
                ...current,
                phase: 'running',
                executionId: id,
                startedAt: new Date().toISOString(),
              }));
            } else if (event.__typename === 'ExecutionOutputDelta') {
              setRun((current) => ({ ...current, text: current.text + event.text }));
            } else {
              const cache = client.cache as InMemoryCache;
              const { id } = event.execution;
              addRunToHistory(cache, input.templateId, { __typename: 'Execution', id });
              setRun((current) => ({
                ...current,
                phase: 'finished',
                executionId: id,
                finished: event,
                stopping: false,
              }));
              resolve(null);
            }
          },
          error: fail,
          complete: () => resolve(null),
        });
    });
  }

  async function start(input: RunInput) {
    setCheckout(null);
    const error = await stream(input);
    // Shown from `run.error`; a priced run opens the payment prompt.
    if (errorCode(error) === 'PAYMENT_REQUIRED') {
      setCheckout({ input, requirements: asPaymentRequired(errorExtensions(error).x402) });
    }
  }

  /** The same run again, paid: `input.payment` is the base64 x402 PaymentPayload. */
  async function pay(payment: string) {
    const pending = checkoutRef.current;
    if (!pending) return; // A new Run started meanwhile: this signature is for nothing.
    const error = await stream({ ...pending.input, payment });
    // A refused payment comes with fresh requirements (their `error` says why): sign those.
    const fresh = error ? asPaymentRequired(errorExtensions(error).x402) : null;
    if (fresh) setCheckout({ ...pending, requirements: fresh });
  }

  /** Stops the run: the server aborts the model and the stream ends with the cancelled row. */
  async function stop() {
    const id = run.executionId;
    setRun((current) => ({ ...current, stopping: true }));
    if (!id) {
      // Not started yet: ending the stream is how to stop it.
      subscription.current?.unsubscribe();
      setRun(IDLE);
      return;
    }
    try {
      await client.mutate({ mutation: CancelExecutionMutation, variables: { id } });
    } catch {
      subscription.current?.unsubscribe(); // the server stops a run whose stream ends, too
      setRun((current) => ({ ...current, phase: 'idle', stopping: false }));
    }
  }

  return { run, checkout, start, pay, stop };
}
