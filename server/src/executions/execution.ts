/** An execution: one run of a template, one row of the execution log. */

export type ExecutionStatus = 'running' | 'success' | 'failed';

/** What is known when a run starts. */
export interface ExecutionStart {
  id: string;
  templateId: string;
  callerId: string | null;
  payerAddress: string | null;
  network: string | null;
}

/** What is known when it ends. */
export interface ExecutionEnd {
  status: Exclude<ExecutionStatus, 'running'>;
  errorMessage: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  /** Decimal string in USDC, "0" when nothing was charged. */
  amountPaid: string;
  /** The payer's EIP-3009 signature, recorded once the payment is settled. */
  paymentSignature: string | null;
  /** The settlement transaction ("simulated:…" with the offline facilitator). */
  paymentTransaction: string | null;
  payerAddress: string | null;
  network: string | null;
  executionTimeMs: number;
}
