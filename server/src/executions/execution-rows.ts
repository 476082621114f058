import { type Execution, Prisma } from '../generated/prisma/client.ts';

/**
 * The execution log's table: each Execution field's column, in the order statements list them
 * (execution-sql.ts builds its column lists from it; toExecution reads rows by it).
 */
export const EXECUTION_COLUMNS = {
  id: 'id',
  templateId: 'template_id',
  callerId: 'caller_id',
  payerAddress: 'payer_address',
  status: 'status',
  errorMessage: 'error_message',
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  amountPaid: 'amount_paid',
  paymentSignature: 'payment_signature',
  paymentTransaction: 'payment_transaction',
  network: 'network',
  createdAt: 'created_at',
  executionTimeMs: 'execution_time_ms',
  completedAt: 'completed_at',
  instanceId: 'instance_id',
  logXid: 'log_xid',
} as const satisfies Record<keyof Execution, string>;

const FIELD_COLUMNS = Object.entries(EXECUTION_COLUMNS);

/** An execution-log row as the driver returns it (every column) in Prisma's shape. */
export function toExecution(row: Record<string, unknown>): Execution {
  const execution: Record<string, unknown> = {};
  for (const [field, column] of FIELD_COLUMNS) execution[field] = row[column];
  // numeric arrives as a string; Prisma's Execution holds a Decimal.
  execution.amountPaid = new Prisma.Decimal(row.amount_paid as string);
  // bigint arrives as a string from pg, a bigint from PGlite.
  execution.logXid = BigInt(String(row.log_xid ?? 0));
  return execution as unknown as Execution;
}

/** executionCountSql's `total`: bigint arrives as a string from pg, a number from PGlite. */
export const totalOf = (rows: Record<string, unknown>[]) => Number(rows[0]?.total ?? 0);

/** One read of a template's changes after a position (execution-sql.ts changesAfterSql). */
export interface ChangesPage {
  rows: Execution[];
  /** Every change by a transaction older than this is visible to the read. */
  watermark: bigint;
  /** A change past the watermark is already committed: read again soon, even without a hint. */
  held: boolean;
}

/** changesAfterSql's result: with no row to deliver, one row whose `id` is null carries the rest. */
export function changesPageOf(rows: Record<string, unknown>[]): ChangesPage {
  const [first] = rows;
  return {
    rows: rows.filter((row) => row.id !== null).map(toExecution),
    watermark: BigInt(String(first?.watermark)),
    held: first?.held === true,
  };
}
