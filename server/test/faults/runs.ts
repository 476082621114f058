import { setTimeout as sleep } from 'node:timers/promises';
import type { SignedPayment, Template } from './fault-stack.ts';
import { dbId, gql } from './graphql-client.ts';

/** What the client was told about one run. */
export interface Outcome {
  told: 'success' | 'failed' | 'unavailable' | 'error';
  /** The row's database id, when the answer named it. */
  runId?: string;
  paid: boolean;
  /** The EIP-3009 signature that paid for it. */
  signature?: string;
  /** Error code, or the transport failure. */
  code?: string;
  message?: string;
  httpStatus: number;
  returnedAt: number;
}

const EXECUTE = /* GraphQL */ `
  mutation Execute($input: ExecuteTemplateInput!) {
    executeTemplate(input: $input) { output execution { id status errorMessage } }
  }
`;

/** One run: paid (as the template's caller) with `payment`, else free (as its owner). */
export async function runOnce(
  url: string,
  template: Template,
  payment?: SignedPayment,
): Promise<Outcome> {
  const result = await gql(
    url,
    EXECUTE,
    { input: { templateId: template.id, variables: { topic: 'faults' } } },
    {
      token: payment ? template.callerToken : template.ownerToken,
      headers: payment ? { 'PAYMENT-SIGNATURE': payment.header } : {},
    },
  );
  const base = {
    paid: Boolean(payment),
    signature: payment?.signature,
    httpStatus: result.status,
    returnedAt: Date.now(),
  };
  const execution = result.data?.executeTemplate?.execution;
  if (execution) {
    const told = execution.status === 'SUCCESS' ? 'success' : 'failed';
    return { ...base, told, runId: dbId(execution.id), message: execution.errorMessage };
  }
  const error = result.errors?.[0];
  const code = error?.extensions?.code ?? result.transportError ?? `HTTP ${result.status}`;
  if (code === 'SERVICE_UNAVAILABLE') return { ...base, told: 'unavailable', code };
  // PAYMENT_FAILED after the run names its row.
  const executionId = error?.extensions?.executionId;
  if (typeof executionId === 'string') {
    return { ...base, told: 'failed', runId: executionId, code, message: error?.message };
  }
  return { ...base, told: 'error', code, message: error?.message };
}

export interface StreamPlan {
  runs: number;
  /** At most this many in flight: a run due while they all are waits for one to end. */
  concurrency: number;
  /** A run starts every `intervalMs`, so the stream spans the fault at a steady rate. */
  intervalMs: number;
  /** Every n-th run is paid (with the next of `payments`). */
  paidEvery: number;
  payments: SignedPayment[];
}

/** A steady stream of runs against `url()` (read per run: an instance may be replaced). */
export async function runStream(
  url: () => string,
  template: Template,
  plan: StreamPlan,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const inFlight = new Set<Promise<void>>();
  const startedAt = Date.now();
  let paidUsed = 0;
  for (let index = 0; index < plan.runs; index++) {
    await sleep(Math.max(0, startedAt + index * plan.intervalMs - Date.now()));
    while (inFlight.size >= plan.concurrency) await Promise.race(inFlight);
    const paid = index % plan.paidEvery === plan.paidEvery - 1;
    const payment = paid ? plan.payments[paidUsed++] : undefined;
    const run: Promise<void> = runOnce(url(), template, payment).then((outcome) => {
      outcomes.push(outcome);
      inFlight.delete(run);
    });
    inFlight.add(run);
  }
  await Promise.all(inFlight);
  return outcomes;
}

/** Counts of what the clients were told, by outcome and by error code. */
export function toldCounts(outcomes: Outcome[]) {
  const count = (told: Outcome['told']) => outcomes.filter((o) => o.told === told).length;
  const codes: Record<string, number> = {};
  for (const { code } of outcomes) if (code) codes[code] = (codes[code] ?? 0) + 1;
  return {
    runs: outcomes.length,
    paid: outcomes.filter((o) => o.paid).length,
    success: count('success'),
    failed: count('failed'),
    unavailable: count('unavailable'),
    error: count('error'),
    codes,
  };
}
