/**
 * The execution log's SQL on the hot paths, as text for Database.runAs: one round trip each, no
 * query compilation. Reads: history pages, their counts, a subscriber's re-read (the bench's
 * floor server sends these same statements). Writes: a run's `running` row, its final row, and
 * the sweep of runs a crash left running. Every statement is written by the `sql` tag (db/sql.ts):
 * its values travel as parameters, and the statement is prepared once per pooled connection.
 */

import { type SqlText, sql } from '../db/sql.ts';
import type { ExecutionEnd, ExecutionStart } from './execution.ts';
import { EXECUTION_COLUMNS } from './execution-rows.ts';
import type { LogPosition } from './log-position.ts';
import { hasRunLogFilter, type RunLogFilter, runLogConditionsSql } from './run-log-filter.ts';

const LOG = sql`x402_prompt_template_usage_logs`;

export interface KeysetPosition {
  createdAt: Date;
  id: string;
}

const COMMA = sql`, `;
const column = (field: keyof typeof EXECUTION_COLUMNS) => sql.identifier(EXECUTION_COLUMNS[field]);

/** Every column, so any selection of an Execution resolves from the row (toExecution). */
const ALL_COLUMNS = sql.join(Object.values(EXECUTION_COLUMNS).map(sql.identifier), COMMA);

/** Rows of a template (of one caller, or every row RLS shows), newest first, after a position. */
export interface ExecutionFilter {
  templateId: string;
  /** Null: every row of the template the viewer may read (owners: all of them). */
  callerId: string | null;
  /** The run log's filters (owners narrowing their log, README "Export"). */
  log?: RunLogFilter;
}

const NOTHING = sql``;

const where = ({ templateId, callerId, log }: ExecutionFilter) =>
  sql`template_id = ${sql.uuid(templateId)}${callerId === null ? NOTHING : sql` AND caller_id = ${sql.uuid(callerId)}`}${runLogConditionsSql(log)}`;

export function executionPageSql(
  filter: ExecutionFilter,
  limit: number,
  after: KeysetPosition | null,
  columns: SqlText = ALL_COLUMNS,
) {
  // (created_at, id) < cursor, written so that the index seeks to the cursor (the redundant
  // created_at <= bound) instead of walking every newer row.
  const keyset = after
    ? sql` AND created_at <= ${after.createdAt} AND (created_at < ${after.createdAt} OR (created_at = ${after.createdAt} AND id < ${sql.uuid(after.id)}))`
    : NOTHING;
  return sql`SELECT ${columns} FROM ${LOG} WHERE ${where(filter)}${keyset} ORDER BY created_at DESC, id DESC LIMIT ${limit}`;
}

/**
 * The exact number of rows the page's filter matches, as column `total`. A caller's own history
 * reads the run counter kept with every insert (migration 003); a template's whole history counts.
 */
export function executionCountSql(filter: ExecutionFilter) {
  return filter.callerId === null || hasRunLogFilter(filter.log)
    ? sql`SELECT count(*) AS total FROM ${LOG} WHERE ${where(filter)}`
    : sql`SELECT coalesce((SELECT runs FROM x402_usage_log_counts WHERE ${where(filter)}), 0) AS total`;
}

export const executionByIdSql = (id: string) =>
  sql`SELECT ${ALL_COLUMNS} FROM ${LOG} WHERE id = ${sql.uuid(id)}`;

const nullableUuid = (id: string | null) => (id === null ? null : sql.uuid(id));

/** A run's `running` row, owned by `instanceId` (created_at: the database's now()); returns it. */
export const startRunSql = (run: ExecutionStart, instanceId: string | null) =>
  sql`INSERT INTO ${LOG} (id, template_id, caller_id, payer_address, network, status, instance_id) VALUES (${sql.uuid(run.id)}, ${sql.uuid(run.templateId)}, ${nullableUuid(run.callerId)}, ${run.payerAddress}, ${run.network}, 'running', ${nullableUuid(instanceId)}) RETURNING ${ALL_COLUMNS}`;

/** What a run's end sets, on its `running` row or on the whole row if that was never written. */
const END_FIELDS = [
  'status',
  'errorMessage',
  'inputTokens',
  'outputTokens',
  'amountPaid',
  'paymentSignature',
  'paymentTransaction',
  'payerAddress',
  'network',
  'executionTimeMs',
  'completedAt',
] as const satisfies readonly (keyof ExecutionEnd | 'completedAt')[];
const END_COLUMNS = sql.join(END_FIELDS.map(column), COMMA);
const END_UPDATE = sql.join(
  END_FIELDS.map(column).map((name) => sql`${name} = EXCLUDED.${name}`),
  COMMA,
);

/**
 * Completes the run's row, or writes it whole; returns the final row. Idempotent (a journal
 * replay may repeat it): a row already final keeps its state and is returned as it is — except
 * one the sweeper marked "interrupted" while this run's caller was told otherwise.
 */
export function completeRunSql(run: ExecutionStart, end: ExecutionEnd, completedAt: Date) {
  const final = { ...end, completedAt };
  const finalValues = END_FIELDS.map((field) =>
    field === 'amountPaid' ? sql.decimal(end.amountPaid) : sql`${final[field]}`,
  );
  const id = sql.uuid(run.id);
  return sql`WITH written AS (INSERT INTO ${LOG} AS log (id, template_id, caller_id, ${END_COLUMNS}) VALUES (${id}, ${sql.uuid(run.templateId)}, ${nullableUuid(run.callerId)}, ${sql.join(finalValues, COMMA)}) ON CONFLICT (id) DO UPDATE SET ${END_UPDATE} WHERE log.status = 'running' OR log.error_message = ${INTERRUPTED} RETURNING ${ALL_COLUMNS}) SELECT * FROM written UNION ALL SELECT ${ALL_COLUMNS} FROM ${LOG} WHERE id = ${id} AND NOT EXISTS (SELECT FROM written)`;
}

/** The error of a run the sweeper ended because its instance is gone. */
export const INTERRUPTED = 'interrupted';

/** The commit watermark: every transaction older than it has ended (migration 005). */
const WATERMARK = sql`pg_snapshot_xmin(pg_current_snapshot())::text::bigint`;

export const watermarkSql = () => sql`SELECT ${WATERMARK}::text AS watermark`;

/**
 * A template's rows (as the reader may see them: RLS) whose latest change comes after
 * `position` and before the commit watermark, in position order — in one statement, so one
 * snapshot: each result row also carries the `watermark` and `held` (a change after the
 * watermark is already visible and will be deliverable once older transactions end); with no
 * row to deliver, one row whose `id` is null carries them.
 */
export function changesAfterSql(templateId: string, position: LogPosition, limit: number) {
  const template = sql`template_id = ${sql.uuid(templateId)}`;
  const after = sql`(log_xid, id) > (${String(position.xid)}::bigint, ${sql.uuid(position.id)})`;
  return sql`SELECT w.xmin::text AS watermark, EXISTS (SELECT FROM ${LOG} WHERE ${template} AND ${after} AND log_xid >= w.xmin) AS held, r.* FROM (SELECT ${WATERMARK} AS xmin) w LEFT JOIN LATERAL (SELECT ${ALL_COLUMNS} FROM ${LOG} WHERE ${template} AND ${after} AND log_xid < w.xmin ORDER BY log_xid, id LIMIT ${limit}) r ON true`;
}

/**
 * Which of `ids` each of `viewers` may read: RLS as each viewer in turn, in one statement
 * (live_log_visible, migration 012). One result row per viewer: `viewer`, and `visible`, the
 * 1-based ordinals of its readable rows joined by commas ('' for none).
 */
export function visibleToViewersSql(ids: string[], viewers: string[]) {
  for (const id of [...ids, ...viewers]) sql.uuid(id); // checks each is a UUID
  return sql`SELECT viewer::text AS viewer, visible FROM live_log_visible(${`{${ids.join(',')}}`}::uuid[], ${`{${viewers.join(',')}}`}::uuid[])`;
}
