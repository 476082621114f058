import { type Execution, Prisma } from '../generated/prisma/client.ts';

/** A execution-log row as the driver returns it (execution-log-sql.ts's columns) in Prisma's shape. */
export const toExecution = (row: Record<string, unknown>): Execution => ({
  id: row.id as string,
  templateId: row.template_id as string,
  callerId: row.caller_id as string | null,
  payerAddress: row.payer_address as string | null,
  status: row.status as string,
  errorMessage: row.error_message as string | null,
  inputTokens: row.input_tokens as number | null,
  outputTokens: row.output_tokens as number | null,
  amountPaid: new Prisma.Decimal(row.amount_paid as string),
  paymentSignature: row.payment_signature as string | null,
  paymentTransaction: row.payment_transaction as string | null,
  network: row.network as string | null,
  createdAt: row.created_at as Date,
  executionTimeMs: row.execution_time_ms as number | null,
  completedAt: row.completed_at as Date | null,
});

/** executionCountSql's `total`: bigint arrives as a string from pg, a number from PGlite. */
export const totalOf = (rows: Record<string, unknown>[]) => Number(rows[0]?.total ?? 0);
