import { encodePaymentResponseHeader } from '@x402/core/http';
import { type RunEvent, startStreamedRun } from '../executions/streamed-run.ts';
import { serviceUnavailable } from '../lib/api-errors.ts';
import { builder } from './builder.ts';
import { ExecuteTemplateInput, runRequest } from './execute-template.ts';
import { Execution } from './execution.ts';

type Started = Extract<RunEvent, { kind: 'started' }>;
type Delta = Extract<RunEvent, { kind: 'delta' }>;
type Finished = Extract<RunEvent, { kind: 'finished' }>;

const ExecutionStarted = builder.objectRef<Started>('ExecutionStarted').implement({
  description:
    "A streamed run's first event: its execution-log row, RUNNING. Keep its id: a caller who loses the stream can still look the run up, or stop it (cancelExecution).",
  fields: (t) => ({
    execution: t.field({ type: Execution, resolve: (event) => event.execution }),
  }),
});

const ExecutionOutputDelta = builder.objectRef<Delta>('ExecutionOutputDelta').implement({
  description:
    'Text the model wrote since the previous event, in order: the deltas joined are the output. A reader slower than the model gets fewer, longer deltas.',
  fields: (t) => ({
    text: t.exposeString('text'),
  }),
});

const ExecutionFinished = builder.objectRef<Finished>('ExecutionFinished').implement({
  description:
    "A streamed run's last event: its final row (SUCCESS or FAILED with errorMessage, tokens, amountPaid, executionTimeMs, paymentTransaction) and the full output.",
  fields: (t) => ({
    execution: t.field({ type: Execution, resolve: (event) => event.execution }),
    output: t.string({
      nullable: true,
      description:
        'The whole text; null when the run failed (a stopped run: errorMessage "cancelled").',
      resolve: (event) => event.output,
    }),
    paymentResponse: t.string({
      nullable: true,
      description:
        "A paid run's x402 receipt: base64 of the facilitator's SettleResponse, the value the PAYMENT-RESPONSE header carries on a synchronous run (a stream's headers are sent before settlement). Decode it with @x402/core/http decodePaymentResponseHeader. Null for free and unsettled runs.",
      resolve: ({ settlement }) =>
        settlement ? encodePaymentResponseHeader(settlement.response) : null,
    }),
  }),
});

const TYPENAMES = {
  started: 'ExecutionStarted',
  delta: 'ExecutionOutputDelta',
  finished: 'ExecutionFinished',
} as const;

const ExecutionStreamEvent = builder.unionType('ExecutionStreamEvent', {
  description:
    'What runTemplate sends, in order: ExecutionStarted, ExecutionOutputDelta…, ExecutionFinished.',
  types: [ExecutionStarted, ExecutionOutputDelta, ExecutionFinished],
  resolveType: (event) => TYPENAMES[event.kind],
});

builder.subscriptionField('runTemplate', (t) =>
  t.field({
    type: ExecutionStreamEvent,
    description:
      'Runs a template and streams it: ExecutionStarted (the RUNNING row), then the output as ExecutionOutputDelta events as the model writes it, then ExecutionFinished. Payment and logging as executeTemplate (x402: over HTTP the 402 answer and PAYMENT-SIGNATURE header, over WebSocket the error and `input.payment`). Ending the subscription stops the run: FAILED "cancelled", never charged.',
    args: { input: t.arg({ type: ExecuteTemplateInput, required: true }) },
    subscribe: (_root, { input }, context) => {
      const { services } = context;
      // Refused before anything is read, written or charged: another instance can take it.
      if (services.runsInFlight.draining) {
        throw serviceUnavailable('The server is shutting down; retry on another instance.');
      }
      return startStreamedRun(services, () => runRequest(context, input));
    },
    resolve: (event) => event,
  }),
);
