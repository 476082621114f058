/**
 * A run log as CSV or NDJSON, read in keyset pages as the viewer (RLS) and written as it is read:
 * memory stays flat whatever the length (README "Export"). Pages rather than one long cursor: no
 * connection (or PGlite's only one) is held while a slow client reads; a page waits for the
 * client to drain the previous one.
 */
import type { Database } from '../db/database.ts';
import { REQUEST_ROLE } from '../db/roles.ts';
import type { Execution } from '../generated/prisma/client.ts';
import { toExecution } from './execution-rows.ts';
import { type ExecutionFilter, executionPageSql, type KeysetPosition } from './execution-sql.ts';
import type { RunLogFilter } from './run-log-filter.ts';

export type ExportFormat = 'csv' | 'ndjson';

export const EXPORT_PAGE_SIZE = 2000;

/** The exported columns, in order: CSV header names and NDJSON keys. */
const COLUMNS: [string, (run: Execution) => string | number | null][] = [
  ['id', (run) => run.id],
  ['createdAt', (run) => run.createdAt.toISOString()],
  ['completedAt', (run) => run.completedAt?.toISOString() ?? null],
  ['status', (run) => run.status],
  ['callerId', (run) => run.callerId],
  ['payerAddress', (run) => run.payerAddress],
  ['amountPaid', (run) => run.amountPaid.toString()],
  ['network', (run) => run.network],
  ['paymentTransaction', (run) => run.paymentTransaction],
  ['inputTokens', (run) => run.inputTokens],
  ['outputTokens', (run) => run.outputTokens],
  ['executionTimeMs', (run) => run.executionTimeMs],
  ['errorMessage', (run) => run.errorMessage],
];

/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 field: quoted when it holds a quote, comma, CR or LF (quotes doubled); text that
 * a spreadsheet would run as a formula gets a leading apostrophe, which it shows as text.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvHeader = () => `${COLUMNS.map(([name]) => name).join(',')}\r\n`;

export function formatRun(run: Execution, format: ExportFormat): string {
  if (format === 'csv') return `${COLUMNS.map(([, get]) => csvField(get(run))).join(',')}\r\n`;
  return `${JSON.stringify(Object.fromEntries(COLUMNS.map(([name, get]) => [name, get(run)])))}\n`;
}

/** Where the export writes: `write` resolves once the sink can take more. */
export interface ExportSink {
  write(chunk: string): Promise<void>;
  /** True once the client went away: stop reading. */
  readonly closed: boolean;
}

/** Streams every row of `filter` the viewer may read, newest first; returns the rows written. */
export async function exportRuns(
  db: Pick<Database, 'runAs'>,
  viewerId: string,
  filter: ExecutionFilter,
  format: ExportFormat,
  sink: ExportSink,
): Promise<number> {
  if (format === 'csv') await sink.write(csvHeader());
  let position: KeysetPosition | null = null;
  let written = 0;
  while (!sink.closed) {
    const [rows = []] = await db.runAs(REQUEST_ROLE, viewerId, [
      executionPageSql(filter, EXPORT_PAGE_SIZE, position),
    ]);
    if (rows.length === 0) break;
    let chunk = '';
    for (const row of rows) chunk += formatRun(toExecution(row), format);
    await sink.write(chunk);
    written += rows.length;
    const last = toExecution(rows.at(-1) as Record<string, unknown>);
    position = { createdAt: last.createdAt, id: last.id };
    if (rows.length < EXPORT_PAGE_SIZE) break;
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
