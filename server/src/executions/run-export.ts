/**
 * A run log as CSV or NDJSON, read in keyset pages as the viewer (RLS) and written as it is read:
 * memory stays flat whatever the length (README "Export"). Pages rather than one long cursor: no
 * connection (or PGlite's only one) is held while a slow client reads; a page waits for the
 * client to drain the previous one.
 */
import type { Database } from '../db/database.ts';
import { REQUEST_ROLE } from '../db/roles.ts';
import { type SqlText, sql, valuesAsSettings } from '../db/sql.ts';
import { type ExecutionFilter, executionPageSql, type KeysetPosition } from './execution-sql.ts';
import { ExportLines } from './export-lines.ts';
import type { RunLogFilter } from './run-log-filter.ts';

export type ExportFormat = 'csv' | 'ndjson';

export const EXPORT_PAGE_SIZE = 10_000;

const ISO = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The exported columns, in order (CSV header names and NDJSON keys), each as SQL: the database
 * writes each row as one finished line, so the server only concatenates (README "Export").
 */
const COLUMNS: [name: string, text: string, json: string, freeText?: 'free text'][] = [
  ['id', 'id::text', 'id'],
  ['createdAt', ISO('created_at'), ISO('created_at')],
  ['completedAt', ISO('completed_at'), ISO('completed_at')],
  ['status', 'status', 'status'],
  ['callerId', 'caller_id::text', 'caller_id'],
  ['payerAddress', 'payer_address', 'payer_address', 'free text'],
  // Exact, without trailing zeros, as the API writes Decimal ("0.25", "0").
  ['amountPaid', 'trim_scale(amount_paid)::text', 'trim_scale(amount_paid)::text'],
  ['network', 'network', 'network', 'free text'],
  ['paymentTransaction', 'payment_transaction', 'payment_transaction', 'free text'],
  ['inputTokens', 'input_tokens::text', 'input_tokens'],
  ['outputTokens', 'output_tokens::text', 'output_tokens'],
  ['executionTimeMs', 'execution_time_ms::text', 'execution_time_ms'],
  ['errorMessage', 'error_message', 'error_message', 'free text'],
];

const LINE_SQL: Record<ExportFormat, SqlText> = {
  // Only text that came from outside can hold a quote, a separator or a formula; the rest (ids,
  // timestamps, the status, non-negative numbers) is written as it is, or empty when NULL.
  csv: constantSql(
    COLUMNS.map(([, text, , freeText]) =>
      freeText ? `csv_field(${text})` : `coalesce(${text}, '')`,
    ).join(" || ',' || "),
  ),
  ndjson: constantSql(
    `json_build_object(${COLUMNS.map(([name, , json]) => `'${name}', ${json}`).join(', ')})::text`,
  ),
};

/** Constant SQL text through the tag (no values: nothing is quoted, nothing comes from a request). */
function constantSql(text: string): SqlText {
  return sql(Object.assign([text], { raw: [text] }) as unknown as TemplateStringsArray);
}

export const csvHeader = () => `${COLUMNS.map(([name]) => name).join(',')}\r\n`;

/** Where the export writes: `write` resolves once the sink can take more. */
export interface ExportSink {
  write(chunk: string | Uint8Array): Promise<void>;
  /** True once the client went away: stop reading. */
  readonly closed: boolean;
}

/**
 * A page's columns: its finished line, then its keyset position (the last row's is where the
 * next page starts; named as the columns, so ORDER BY walks the index).
 */
const pageColumns = (format: ExportFormat) => sql`${LINE_SQL[format]}, created_at, id`;

/**
 * Deep pages of a large log are estimated costly enough to be JIT-compiled: 20-120 ms of
 * compiling for a read of ~3 ms. Off for this transaction only.
 */
const NO_JIT = sql`SELECT set_config('jit', 'off', true)`;

/** Streams every row of `filter` the viewer may read, newest first; returns the rows written. */
export async function exportRuns(
  db: Pick<Database, 'copyOutAs'>,
  viewerId: string,
  filter: ExecutionFilter,
  format: ExportFormat,
  sink: ExportSink,
  pageSize = EXPORT_PAGE_SIZE,
): Promise<number> {
  if (format === 'csv') await sink.write(csvHeader());
  const end = Buffer.from(format === 'csv' ? '\r\n' : '\n');
  const columns = pageColumns(format);
  // Each page is one COPY … TO STDOUT in binary: the database sends each finished line as bytes
  // that are copied to the response as they are, never decoded into strings and encoded again.
  // COPY takes no parameters: the page's values travel as transaction settings.
  const read = async (position: KeysetPosition | null) => {
    const page = valuesAsSettings(executionPageSql(filter, pageSize, position, columns));
    const lines = new ExportLines(end);
    await db.copyOutAs(
      REQUEST_ROLE,
      viewerId,
      [
        NO_JIT,
        ...(page.settings ? [page.settings] : []),
        sql`COPY (${page.text}) TO STDOUT (FORMAT binary)`,
      ],
      lines.take,
    );
    return lines.finish();
  };
  // Each page's promise is handled from the start: the one read ahead may fail (the database
  // gone) while the page before is still being written to a slow client, or never be awaited (the
  // client left). Unhandled, that rejection would end the process; the loop's await still sees it.
  const readAhead = (position: KeysetPosition | null) => {
    const reading = read(position);
    reading.catch(() => {});
    return reading;
  };
  let written = 0;
  let page = readAhead(null);
  while (!sink.closed) {
    const { chunks, rows, last } = await page;
    if (rows === 0) break;
    // The next page is read while this one is written: the database and the server work at
    // once, and at most one page waits in memory (the client still paces the reading).
    const more = rows === pageSize && last !== null;
    if (more) page = readAhead(last);
    for (const chunk of chunks) await sink.write(chunk);
    written += rows;
    if (!more) break;
  }
  return written;
}

/** GET /export/executions?token=…: the download an export link (createExecutionExport) names. */
export const EXPORT_PATH = '/export/executions';
export const EXPORT_LINK_PURPOSE = 'export';
/** How long an export link works: long enough to start a download, too short to be worth stealing. */
export const EXPORT_LINK_SECONDS = 60;

/** What an export link carries: who asked, and exactly what they may download. */
export interface ExportClaims {
  sub: string;
  template: string;
  format: ExportFormat;
  filter: Record<string, string | boolean | null>;
}

export const filterClaims = (filter: RunLogFilter | undefined): ExportClaims['filter'] =>
  Object.fromEntries(
    Object.entries(filter ?? {}).map(([key, value]) => [
      key,
      value instanceof Date ? value.toISOString() : (value ?? null),
    ]),
  );
