import { encodePaymentResponseHeader } from '@x402/core/http';
import { type RunRequest, runTemplate } from '../executions/run-template.ts';
import { serviceUnavailable } from '../lib/api-errors.ts';
import {
  decodePaymentSignature,
  PAYMENT_RESPONSE_HEADER,
  parseExactEip3009Payload,
} from '../payments/index.ts';
import { isOwner } from '../templates/ownership.ts';
import { builder } from './builder.ts';
import type { Context } from './context.ts';
import { Execution } from './execution.ts';
import { findRunnableTemplate } from './template.ts';

/** The payer a payment names (not yet verified: only a rate-limit key), or null. */
function payerOf(payment: string): string | null {
  try {
    const payload = decodePaymentSignature(payment);
    return parseExactEip3009Payload(payload.payload)?.authorization.from.toLowerCase() ?? null;
  } catch {
    return null; // refused as malformed by the payment step
  }
}

export const ExecuteTemplateInput = builder.inputType('ExecuteTemplateInput', {
  fields: (t) => ({
    templateId: t.id({ required: true }),
    variables: t.field({ type: 'JSON', description: 'Values of the template variables by name.' }),
    payment: t.string({
      description:
        'x402 payment (base64 PaymentPayload) for clients that cannot send the PAYMENT-SIGNATURE header.',
    }),
  }),
});

type RunPayload = Awaited<ReturnType<typeof runTemplate>>;

const ExecuteTemplatePayload = builder.objectRef<RunPayload>('ExecuteTemplatePayload').implement({
  fields: (t) => ({
    execution: t.field({ type: Execution, resolve: (payload) => payload.execution }),
    output: t.exposeString('output', { nullable: true, description: 'Null when the run failed.' }),
  }),
});

builder.mutationField('executeTemplate', (t) =>
  t.field({
    type: ExecuteTemplatePayload,
    description: 'Runs a template on Claude and logs the run. Non-owners pay per run (x402).',
    args: { input: t.arg({ type: ExecuteTemplateInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const { runsInFlight } = context.services;
      // Refused before anything is read, written or charged: another instance can take it.
      if (runsInFlight.draining) {
        throw serviceUnavailable('The server is shutting down; retry on another instance.');
      }
      // Tracked from the template lookup on, so a graceful stop waits for the whole run.
      return runsInFlight.track(run(context, input));
    },
  }),
);

export interface ExecuteTemplateArgs {
  templateId: string | number;
  variables?: unknown;
  payment?: string | null;
}

/** The run an ExecuteTemplateInput asks for: the payment from the input, or the HTTP header. */
export async function runRequest(
  context: Context,
  input: ExecuteTemplateArgs,
): Promise<RunRequest> {
  const { rateLimits } = context.services;
  const { viewer, clientAddress } = context;
  // Before anything is read: a flood costs no database work.
  await rateLimits.consume({
    runsPerUser: viewer ? viewer.id : clientAddress && `anonymous:${clientAddress}`,
    runsPerIp: clientAddress,
  });
  const template = await findRunnableTemplate(context, String(input.templateId));
  const payment = input.payment ?? context.paymentHeader;
  // Before the payment is verified or reserved: a refusal here leaves nothing behind.
  await rateLimits.consume(
    isOwner(template, viewer) || template.priceUsdc.isZero()
      ? { freeRunsPerTemplate: template.id, freeRunsPerUserPerDay: viewer?.id }
      : { runsPerPayer: payment ? payerOf(payment) : null },
  );
  return {
    template,
    viewer,
    variables: input.variables,
    payment,
    resourceUrl: context.resourceUrl,
  };
}

async function run(context: Context, input: ExecuteTemplateArgs): Promise<RunPayload> {
  const result = await runTemplate(context.services, await runRequest(context, input));
  // The x402 receipt, as the reference server sends it (clients read it with @x402/fetch).
  if (result.settlement?.ok) {
    const receipt = encodePaymentResponseHeader(result.settlement.response);
    context.responseHeaders.set(PAYMENT_RESPONSE_HEADER, receipt);
  }
  return result;
}
