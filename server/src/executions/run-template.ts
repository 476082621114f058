import { randomUUID } from 'node:crypto';
import type { Viewer } from '../auth/authenticator.ts';
import type { Execution } from '../generated/prisma/client.ts';
import { serviceUnavailable, unauthenticated } from '../lib/api-errors.ts';
import type { ModelClient, ModelResult } from '../llm/types.ts';
import { settlementFailedError } from '../payments/errors.ts';
import type { Charge, PaymentGate, SettleOutcome } from '../payments/payment-gate.ts';
import type { ReservationEnd } from '../payments/reservations.ts';
import type { TemplatePolicy } from '../quotas/limits.ts';
import type { RunnableTemplate } from '../templates/ownership.ts';
import { renderPrompt, type TemplateVariable } from '../templates/variables.ts';
import type { ExecutionEnd, ExecutionStart } from './execution.ts';
import type { ExecutionLog } from './execution-log.ts';
import type { RunCancellations } from './run-cancellations.ts';

export interface RunDeps {
  model: ModelClient;
  executionLog: ExecutionLog;
  payments: PaymentGate;
  /** Caps a run's output tokens, also for templates published under a higher cap. */
  templatePolicy?: Pick<TemplatePolicy, 'maxTokens'>;
  /** Lets a caller stop the run from anywhere (cancelExecution); without it, only `signal` does. */
  cancellations?: RunCancellations;
}

export interface RunRequest {
  template: RunnableTemplate;
  viewer: Viewer | null;
  variables: unknown;
  payment: string | null;
  resourceUrl: string;
}

export interface RunResult {
  /** The final row — or, while the database cannot take it (journaled), what it will hold. */
  execution: Execution;
  output: string | null;
  /** For the PAYMENT-RESPONSE header: the settlement of a paid run. */
  settlement: SettleOutcome | null;
}

/** A run that was validated and paid for (reserved), and has written nothing yet. */
export interface PreparedRun {
  run: ExecutionStart;
  charge: Charge;
  prompt: string;
  template: RunnableTemplate;
}

/** What a streamed run is told while it runs. */
export interface RunObserver {
  /** Stops the run (its caller went away): it ends FAILED "cancelled", never charged. */
  signal?: AbortSignal;
  /** The `running` row, once written. */
  onStarted?(execution: Execution): void;
  /** Each piece of the model's text as it is written. */
  onText?(delta: string): void;
}

/**
 * The run pipeline: validate → authorize payment → log `running` → model → settle → log final
 * (which publishes). Input and payment errors happen before the first write, so they leave no
 * row; from the first write on, every path ends in exactly one final row, through a database
 * outage (the journal) and a crash (the sweeper).
 */
export async function runTemplate(deps: RunDeps, request: RunRequest): Promise<RunResult> {
  const result = await performRun(deps, await prepareRun(deps, request));
  // The model ran but the caller did not pay: the output is withheld (the row keeps the tokens).
  const { settlement } = result;
  if (settlement && !settlement.ok) {
    throw settlementFailedError(settlement.reason, settlement.response, result.execution.id);
  }
  return result;
}

/** Validates the input and authorizes the payment; throws (writing nothing) when refused. */
export async function prepareRun(deps: RunDeps, request: RunRequest): Promise<PreparedRun> {
  const { template, viewer } = request;
  const prompt = renderPrompt(
    template.prompt,
    template.variables as unknown as TemplateVariable[],
    request.variables,
  );
  // The id is known before payment, so a reservation can point at the row the run will write.
  const runId = randomUUID();
  const charge = await deps.payments.authorize({ ...request, runId });
  if (!viewer && charge.kind === 'free') throw unauthenticated();

  const run: ExecutionStart = {
    id: runId,
    templateId: template.id,
    callerId: viewer?.id ?? null,
    payerAddress: charge.kind === 'paid' ? charge.payer : null,
    network: charge.kind === 'paid' ? charge.network : null,
  };
  return { run, charge, prompt, template };
}

/**
 * Runs a prepared run to its final row. A settlement failure is in the result (the synchronous
 * run turns it into PAYMENT_FAILED); throws only when the `running` row cannot be written.
 */
export async function performRun(
  deps: RunDeps,
  { run, charge, prompt, template }: PreparedRun,
  observer: RunObserver = {},
): Promise<RunResult> {
  // No connection is held from here until the model answers: each write is its own transaction.
  // Without its `running` row a run could vanish in a crash: nothing runs (the reservation is
  // released by the sweeper).
  const started = await deps.executionLog.start(run);
  if (!started) throw serviceUnavailable();
  observer.onStarted?.(started);

  const stop = deps.cancellations?.watch(run.id);
  const signals = [observer.signal, stop?.signal].filter((signal) => signal !== undefined);
  const startedAt = performance.now();
  let result: ModelResult;
  try {
    // Caps a run's output tokens, also for templates published under a higher cap.
    const maxTokens = Math.min(template.maxTokens, deps.templatePolicy?.maxTokens ?? Infinity);
    result = await deps.model.run({
      model: template.model,
      maxTokens,
      prompt,
      signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
      onText: observer.onText,
    });
  } catch (error) {
    // A bug, not a model failure: still end the row, then surface it.
    result = {
      ok: false,
      error: `internal error: ${(error as Error).message}`,
      inputTokens: null,
      outputTokens: null,
      partialText: '',
    };
  } finally {
    stop?.dispose();
  }
  const executionTimeMs = Math.round(performance.now() - startedAt);
  // Charged only for a successful run, once; a failed (or stopped) run frees its payment.
  const settlement = charge.kind === 'paid' && result.ok ? await charge.settle() : null;
  const reservation: ReservationEnd | null =
    charge.kind === 'paid'
      ? (settlement?.reservation ?? { id: charge.reservationId, state: 'released' })
      : null;
  const end = endOfRun(result, charge, settlement, executionTimeMs);
  // The row and the reservation's end in one transaction — or journaled until they can be.
  const { row } = await deps.executionLog.complete({
    run,
    end,
    completedAt: new Date(),
    reservation,
  });
  const paid = !settlement || settlement.ok;
  return { execution: row, output: result.ok && paid ? result.text : null, settlement };
}

function endOfRun(
  result: ModelResult,
  charge: Charge,
  settlement: SettleOutcome | null,
  executionTimeMs: number,
): ExecutionEnd {
  const tokens = { inputTokens: result.inputTokens, outputTokens: result.outputTokens };
  const free = {
    amountPaid: '0',
    paymentSignature: null,
    paymentTransaction: null,
    executionTimeMs,
  };
  if (!result.ok) {
    return {
      status: 'failed',
      errorMessage: result.error,
      ...tokens,
      ...free,
      payerAddress: charge.kind === 'paid' ? charge.payer : null,
      network: charge.kind === 'paid' ? charge.network : null,
    };
  }
  if (charge.kind === 'free') {
    return {
      status: 'success',
      errorMessage: null,
      ...tokens,
      ...free,
      payerAddress: null,
      network: null,
    };
  }
  if (!settlement?.ok) {
    return {
      status: 'failed',
      errorMessage: `payment settlement failed: ${settlement?.error ?? 'not settled'}`,
      ...tokens,
      ...free,
      payerAddress: charge.payer,
      network: charge.network,
    };
  }
  return {
    status: 'success',
    errorMessage: null,
    ...tokens,
    amountPaid: charge.amount,
    paymentSignature: charge.signature,
    paymentTransaction: settlement.transaction,
    payerAddress: charge.payer,
    network: settlement.network,
    executionTimeMs,
  };
}
