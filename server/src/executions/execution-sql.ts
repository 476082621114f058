/**
 * The execution log's SQL on the hot paths, as text for Database.runAs: one round trip each, no
 * query compilation. Reads: history pages, their counts, a subscriber's re-read (the bench's
 * floor server sends these same statements). Writes: a run's `running` row, its final row, and
 * the sweep of runs a crash left running. runAs speaks the simple protocol, which has no
 * parameters, so every value goes through the checked literals of sql-literals.ts.
 */

import { decimal, integer, literal, timestamp, uuid } from '../db/sql.ts';
import type { ExecutionEnd, ExecutionStart } from './execution.ts';

const LOG = 'x402_prompt_template_usage_logs';

export interface KeysetPosition {
  createdAt: Date;
  id: string;
}

/** Every scalar column, so any selection of an Execution resolves from the row. */
export const USAGE_LOG_COLUMNS =
  'id, template_id, caller_id, payer_address, status, error_message, input_tokens, output_tokens, amount_paid, payment_signature, payment_transaction, network, created_at, execution_time_ms, completed_at';

/** Rows of a template (of one caller, or every row RLS shows), newest first, after a position. */
export interface ExecutionFilter {
  templateId: string;
  /** Null: every row of the template the viewer may read (owners: all of them). */
  callerId: string | null;
}

const where = ({ templateId, callerId }: ExecutionFilter) =>
  `template_id = ${uuid(templateId)}${callerId === null ? '' : ` AND caller_id = ${uuid(callerId)}`}`;

export function executionPageSql(
  filter: ExecutionFilter,
  limit: number,
  after: KeysetPosition | null,
) {
  // (created_at, id) < cursor, written so that the index seeks to the cursor (the redundant
  // created_at <= bound) instead of walking every newer row.
  const keyset = after
    ? ` AND created_at <= ${timestamp(after.createdAt)} AND (created_at < ${timestamp(after.createdAt)} OR (created_at = ${timestamp(after.createdAt)} AND id < ${uuid(after.id)}))`
    : '';
  return `SELECT ${USAGE_LOG_COLUMNS} FROM ${LOG} WHERE ${where(filter)}${keyset} ORDER BY created_at DESC, id DESC LIMIT ${integer(limit)}`;
}

/**
 * The exact number of rows the page's filter matches, as column `total`. A caller's own history
 * reads the run counter kept with every insert (migration 003); a template's whole history counts.
 */
export function executionCountSql(filter: ExecutionFilter) {
  return filter.callerId === null
    ? `SELECT count(*) AS total FROM ${LOG} WHERE ${where(filter)}`
    : `SELECT coalesce((SELECT runs FROM x402_usage_log_counts WHERE ${where(filter)}), 0) AS total`;
}

export const executionByIdSql = (id: string) =>
  `SELECT ${USAGE_LOG_COLUMNS} FROM ${LOG} WHERE id = ${uuid(id)}`;

const nullableUuid = (id: string | null) => (id === null ? 'NULL' : uuid(id));

/** A run's `running` row (created_at: the database's now()). */
export const startRunSql = (run: ExecutionStart) =>
  `INSERT INTO ${LOG} (id, template_id, caller_id, payer_address, network, status) VALUES (${uuid(run.id)}, ${uuid(run.templateId)}, ${nullableUuid(run.callerId)}, ${literal(run.payerAddress)}, ${literal(run.network)}, 'running') RETURNING id`;

/** What a run's end sets, on its `running` row or on the whole row if that was never written. */
const FINAL_COLUMNS = [
  'status',
  'error_message',
  'input_tokens',
  'output_tokens',
  'amount_paid',
  'payment_signature',
  'payment_transaction',
  'payer_address',
  'network',
  'execution_time_ms',
  'completed_at',
];

/** Completes the run's row, or writes it whole; returns the final row. */
export function completeRunSql(run: ExecutionStart, end: ExecutionEnd, completedAt: Date) {
  const finalValues = [
    literal(end.status),
    literal(end.errorMessage),
    literal(end.inputTokens),
    literal(end.outputTokens),
    decimal(end.amountPaid),
    literal(end.paymentSignature),
    literal(end.paymentTransaction),
    literal(end.payerAddress),
    literal(end.network),
    literal(end.executionTimeMs),
    timestamp(completedAt),
  ];
  const values = [uuid(run.id), uuid(run.templateId), nullableUuid(run.callerId), ...finalValues];
  const update = FINAL_COLUMNS.map((column) => `${column} = EXCLUDED.${column}`).join(', ');
  return `INSERT INTO ${LOG} (id, template_id, caller_id, ${FINAL_COLUMNS.join(', ')}) VALUES (${values.join(', ')}) ON CONFLICT (id) DO UPDATE SET ${update} RETURNING ${USAGE_LOG_COLUMNS}`;
}

/** Fails the runs still `running` that started before `cutoff`; returns their id and template. */
export const failInterruptedSql = (cutoff: Date, completedAt: Date) =>
  `UPDATE ${LOG} SET status = 'failed', error_message = 'interrupted', completed_at = ${timestamp(completedAt)} WHERE status = 'running' AND created_at < ${timestamp(cutoff)} RETURNING id, template_id`;
