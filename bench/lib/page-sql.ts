/**
 * The SQL promptmeter's Prisma layer sends for myExecutions (captured with BENCH_LOG_SQL=1 on
 * the promptmeter server process), used by the floor and by the EXPLAIN section. The column list
 * is the table's own (Prisma selects every scalar column). Re-capture when the app's queries change.
 */
const T = '"public"."x402_prompt_template_usage_logs"';
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

/** $1 template, $2 caller, $3 limit, $4 offset (0). */
export const FIRST_PAGE = `SELECT ${COLUMNS} FROM ${T} WHERE (${T}."template_id" = $1 AND ${T}."caller_id" = $2) ORDER BY ${T}."created_at" DESC, ${T}."id" DESC LIMIT $3 OFFSET $4`;

/**
 * The keyset condition as Prisma wrote it before the seek bound (commit e952f70): an OR only.
 * $3/$4 the cursor's created_at, $5 its id, $6 limit, $7 offset. Kept for the query-plan section.
 */
export const NEXT_PAGE_OR = `SELECT ${COLUMNS} FROM ${T} WHERE (${T}."template_id" = $1 AND ${T}."caller_id" = $2 AND (${T}."created_at" < $3 OR (${T}."created_at" = $4 AND ${T}."id" < $5))) ORDER BY ${T}."created_at" DESC, ${T}."id" DESC LIMIT $6 OFFSET $7`;

/**
 * The next page as promptmeter now asks for it: the keyset bound also stated as a plain range
 * (created_at <= cursor), which the index can seek to. Same parameters as NEXT_PAGE_OR.
 */
export const NEXT_PAGE = `SELECT ${COLUMNS} FROM ${T} WHERE (${T}."template_id" = $1 AND ${T}."caller_id" = $2 AND ${T}."created_at" <= $3 AND (${T}."created_at" < $3 OR (${T}."created_at" = $4 AND ${T}."id" < $5))) ORDER BY ${T}."created_at" DESC, ${T}."id" DESC LIMIT $6 OFFSET $7`;

/** totalCount from the per (template, caller) counter (migration 003): $1 template, $2 caller. */
export const COUNTER = `SELECT "public"."x402_usage_log_counts"."runs" FROM "public"."x402_usage_log_counts" WHERE ("public"."x402_usage_log_counts"."template_id" = $1 AND "public"."x402_usage_log_counts"."caller_id" = $2) LIMIT $3 OFFSET $4`;

/** totalCount by counting the caller's rows (before migration 003): $1 template, $2 caller, $3 offset (0). */
export const COUNT = `SELECT COUNT(*) AS "_count$_all" FROM (SELECT ${T}."id" FROM ${T} WHERE (${T}."template_id" = $1 AND ${T}."caller_id" = $2) OFFSET $3) AS "sub"`;
