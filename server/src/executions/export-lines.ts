/**
 * An export page's binary COPY turned into the bytes of its lines (README "Export"): the
 * database writes each line, this only copies bytes and keeps the keyset position of the last.
 */
import type { KeysetPosition } from './execution-sql.ts';

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
export class ExportLines {
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
