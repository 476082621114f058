/**
 * The SQL promptmeter's Prisma layer sent for myExecutions before the pages moved to the driver
 * (captured with BENCH_LOG_SQL=1), kept for the query-plan section's "before" plans. The current
 * statements come from the app itself (server/src/executions/execution-sql.ts).
 */
const T = '"public"."x402_prompt_template_usage_logs"';
/**
 * The columns as Prisma listed them then: historical text, not the app's column list
 * (executions/execution-rows.ts), which has payment_transaction since and is unquoted.
 */
const COLUMNS = [
  'id',
  'template_id',
  'caller_id',
  'payer_address',
  'status',
  'error_message',
  'input_tokens',
  'output_tokens',
  'amount_paid',
  'payment_signature',
  'network',
  'created_at',
  'execution_time_ms',
  'completed_at',
]
  .map((column) => `${T}."${column}"`)
  .join(', ');

/**
 * The keyset condition as Prisma wrote it before the seek bound (commit e952f70): an OR only.
 * $3/$4 the cursor's created_at, $5 its id, $6 limit, $7 offset. Kept for the query-plan section.
 */
export const NEXT_PAGE_OR = `SELECT ${COLUMNS} FROM ${T} WHERE (${T}."template_id" = $1 AND ${T}."caller_id" = $2 AND (${T}."created_at" < $3 OR (${T}."created_at" = $4 AND ${T}."id" < $5))) ORDER BY ${T}."created_at" DESC, ${T}."id" DESC LIMIT $6 OFFSET $7`;

/** totalCount by counting the caller's rows (before migration 003): $1 template, $2 caller, $3 offset (0). */
export const COUNT = `SELECT COUNT(*) AS "_count$_all" FROM (SELECT ${T}."id" FROM ${T} WHERE (${T}."template_id" = $1 AND ${T}."caller_id" = $2) OFFSET $3) AS "sub"`;
