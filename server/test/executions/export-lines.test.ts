import { describe, expect, it } from 'vitest';
import { ExportLines } from '../../src/executions/export-lines.ts';

// A page's binary COPY (line, created_at, id) as PostgreSQL writes it, fed in any split: the
// protocol sends a row per message today, but does not promise it.

const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(n);
  return bytes;
};
const micros = (at: Date) => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(BigInt(at.getTime() - Date.UTC(2000, 0, 1)) * 1000n);
  return bytes;
};
const uuid = (id: string) => Buffer.from(id.replaceAll('-', ''), 'hex');

function binaryCopy(rows: { line: string; at: Date; id: string }[]) {
  const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), int32(0), int32(0)]);
  const tuples = rows.map(({ line, at, id }) => {
    const text = Buffer.from(line, 'utf8');
    return Buffer.concat([
      int16(3),
      int32(text.length),
      text,
      int32(8),
      micros(at),
      int32(16),
      uuid(id),
    ]);
  });
  return Buffer.concat([header, ...tuples, int16(-1)]);
}

const rows = [
  {
    line: 'a,"two\r\nlines"',
    at: new Date('2026-06-02T00:00:00.123Z'),
    id: '0000000a-0000-4000-8000-000000000001',
  },
  {
    line: 'é ✓ 漢字',
    at: new Date('2026-06-01T23:59:59.999Z'),
    id: 'ffffffff-0000-4000-8000-0000000000ff',
  },
  {
    line: '',
    at: new Date('1999-12-31T23:59:59.001Z'),
    id: '12345678-9abc-4def-8123-456789abcdef',
  },
];

describe('ExportLines', () => {
  it('writes each line with its end and keeps the last row position, whatever the split', () => {
    const copy = binaryCopy(rows);
    for (const size of [1, 2, 7, 19, 20, copy.length]) {
      const lines = new ExportLines(Buffer.from('\r\n'));
      for (let at = 0; at < copy.length; at += size) lines.take(copy.subarray(at, at + size));
      const { chunks, rows: count, last } = lines.finish();
      expect(Buffer.concat(chunks).toString('utf8')).toBe(
        rows.map((row) => `${row.line}\r\n`).join(''),
      );
      expect({ size, count, last }).toEqual({
        size,
        count: 3,
        last: { createdAt: rows[2]?.at, id: rows[2]?.id },
      });
    }
  });

  it('refuses a COPY cut short or of another shape', () => {
    const copy = binaryCopy(rows);
    const cut = new ExportLines(Buffer.from('\n'));
    cut.take(copy.subarray(0, copy.length - 5));
    expect(() => cut.finish()).toThrow(/cut short/);
    const wrong = new ExportLines(Buffer.from('\n'));
    expect(() => wrong.take(Buffer.from('not a binary copy at all'))).toThrow(/not a binary COPY/);
  });
});
