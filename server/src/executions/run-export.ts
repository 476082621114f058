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
  let written = 0;
  let page = read(null);
  try {
    while (!sink.closed) {
      const { chunks, rows, last } = await page;
      if (rows === 0) break;
      // The next page is read while this one is written: the database and the server work at
      // once, and at most one page waits in memory (the client still paces the reading).
      const more = rows === pageSize && last !== null;
      if (more) page = read(last);
      for (const chunk of chunks) await sink.write(chunk);
      written += rows;
      if (!more) break;
    }
  } finally {
    // A page read ahead for a client that went away is not waited for: it must not reject unseen.
    page.catch(() => {});
  }
  return written;
}

/** PostgreSQL's timestamps count microseconds from 2000-01-01 UTC. */
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
/** The binary COPY header: signature (11 bytes), flags (4), extension length (4). */
const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const OUTPUT_CHUNK_BYTES = 256 * 1024;

/**
 * One page's binary COPY of (line text, created_at timestamptz, id uuid) turned into the lines'
 * bytes, each followed by `end`, and the last row's keyset position. Tuples are parsed across
 * message boundaries (the protocol does not promise one row per message).
 */
class ExportLines {
  private readonly chunks: Buffer[] = [];
  private output = Buffer.allocUnsafe(OUTPUT_CHUNK_BYTES);
  private used = 0;
  private pending: Buffer | null = null;
  private headerRead = false;
  private ended = false;
  private rows = 0;
  private lastMicros = 0;
  private readonly lastId = Buffer.alloc(16);

  constructor(private readonly end: Buffer) {}

  take = (data: Uint8Array) => {
    let bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.pending) bytes = Buffer.concat([this.pending, bytes]);
    this.pending = null;
    let at = 0;
    if (!this.headerRead) {
      if (bytes.length < 19) return this.keep(bytes, at);
      if (!bytes.subarray(0, 11).equals(COPY_SIGNATURE)) throw new Error('not a binary COPY');
      const extension = bytes.readInt32BE(15);
      if (bytes.length < 19 + extension) return this.keep(bytes, at);
      at = 19 + extension;
      this.headerRead = true;
    }
    while (!this.ended && at + 2 <= bytes.length) {
      const fields = bytes.readInt16BE(at);
      if (fields === -1) {
        this.ended = true;
        at += 2;
        break;
      }
      if (fields !== 3) throw new Error(`export row of ${fields} fields`);
      // line, then created_at (8 bytes), then id (16 bytes); lengths are never -1 (no NULLs).
      if (at + 6 > bytes.length) break;
      const lineLength = bytes.readInt32BE(at + 2);
      const tupleLength = 2 + 4 + lineLength + 4 + 8 + 4 + 16;
      if (at + tupleLength > bytes.length) break;
      this.append(bytes, at + 6, at + 6 + lineLength);
      this.append(this.end, 0, this.end.length);
      const stamp = at + 6 + lineLength + 4;
      this.lastMicros = bytes.readInt32BE(stamp) * 2 ** 32 + bytes.readUInt32BE(stamp + 4);
      bytes.copy(this.lastId, 0, stamp + 12, stamp + 28);
      this.rows++;
      at += tupleLength;
    }
    this.keep(bytes, at);
  };

  /** The unparsed rest, copied: the driver's bytes are only valid during the call. */
  private keep(bytes: Buffer, from: number) {
    if (from < bytes.length) this.pending = Buffer.from(bytes.subarray(from));
  }

  private append(source: Buffer, from: number, to: number) {
    while (from < to) {
      if (this.used === this.output.length) {
        this.chunks.push(this.output);
        this.output = Buffer.allocUnsafe(Math.max(OUTPUT_CHUNK_BYTES, to - from));
        this.used = 0;
      }
      const copied = source.copy(
        this.output,
        this.used,
        from,
        Math.min(to, from + this.output.length - this.used),
      );
      this.used += copied;
      from += copied;
    }
  }

  finish() {
    if (this.pending || !this.ended) throw new Error('binary COPY cut short');
    if (this.used > 0) this.chunks.push(this.output.subarray(0, this.used));
    const hex = this.lastId.toString('hex');
    const last: KeysetPosition | null =
      this.rows === 0
        ? null
        : {
            createdAt: new Date(POSTGRES_EPOCH_MS + this.lastMicros / 1000),
            id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
          };
    return { chunks: this.chunks, rows: this.rows, last };
  }
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
