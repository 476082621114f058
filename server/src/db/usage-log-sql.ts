/**
 * The usage-log reads on the hot paths (history pages, their counts, a subscriber's re-read) as
 * SQL text for Database.readAs: one round trip each, no query compilation. readAs speaks the
 * simple protocol, which has no parameters, so values are inlined — and only values checked
 * here to be UUIDs, timestamps or integers, never other text. The bench's floor server sends
 * these same statements.
 */
import { UUID } from '../uuid.ts';

export interface KeysetPosition {
  createdAt: Date;
  id: string;
}

/** Every scalar column, so any selection of an Execution resolves from the row. */
export const USAGE_LOG_COLUMNS =
  'id, template_id, caller_id, payer_address, status, error_message, input_tokens, output_tokens, amount_paid, payment_signature, payment_transaction, network, created_at, execution_time_ms, completed_at';

const uuid = (id: string) => {
  if (!UUID.test(id)) throw new Error(`not a UUID: ${id}`);
  return `'${id}'`;
};
const timestamp = (at: Date) => {
  if (Number.isNaN(at.getTime())) throw new Error('not a timestamp');
  return `'${at.toISOString()}'::timestamptz`;
};
const integer = (value: number) => {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`not a count: ${value}`);
  return String(value);
};

/** Rows of a template (of one caller, or every row RLS shows), newest first, after a position. */
export interface UsageLogFilter {
  templateId: string;
  /** Null: every row of the template the viewer may read (owners: all of them). */
  callerId: string | null;
}

const where = ({ templateId, callerId }: UsageLogFilter) =>
  `template_id = ${uuid(templateId)}${callerId === null ? '' : ` AND caller_id = ${uuid(callerId)}`}`;

export function usageLogPageSql(
  filter: UsageLogFilter,
  limit: number,
  after: KeysetPosition | null,
) {
  // (created_at, id) < cursor, written so that the index seeks to the cursor (the redundant
  // created_at <= bound) instead of walking every newer row.
  const keyset = after
    ? ` AND created_at <= ${timestamp(after.createdAt)} AND (created_at < ${timestamp(after.createdAt)} OR (created_at = ${timestamp(after.createdAt)} AND id < ${uuid(after.id)}))`
    : '';
  return `SELECT ${USAGE_LOG_COLUMNS} FROM x402_prompt_template_usage_logs WHERE ${where(filter)}${keyset} ORDER BY created_at DESC, id DESC LIMIT ${integer(limit)}`;
}

/**
 * The exact number of rows the page's filter matches, as column `total`. A caller's own history
 * reads the run counter kept with every insert (migration 003); a template's whole history counts.
 */
export function usageLogCountSql(filter: UsageLogFilter) {
  return filter.callerId === null
    ? `SELECT count(*) AS total FROM x402_prompt_template_usage_logs WHERE ${where(filter)}`
    : `SELECT coalesce((SELECT runs FROM x402_usage_log_counts WHERE ${where(filter)}), 0) AS total`;
}

export const usageLogByIdSql = (id: string) =>
  `SELECT ${USAGE_LOG_COLUMNS} FROM x402_prompt_template_usage_logs WHERE id = ${uuid(id)}`;
