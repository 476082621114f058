import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';

// Migrations are hand-written SQL and prisma/schema.prisma is written beside them: this proves
// they agree, column by column, on a database migrated from empty.

interface PrismaField {
  model: string;
  table: string;
  column: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
  native: string | null;
}

const SCALARS = new Set([
  'String',
  'Int',
  'Decimal',
  'DateTime',
  'Json',
  'Boolean',
  'BigInt',
  'Float',
]);

async function prismaFields(): Promise<PrismaField[]> {
  const schema = await readFile(new URL('../../../prisma/schema.prisma', import.meta.url), 'utf8');
  const fields: PrismaField[] = [];
  for (const [, model, body] of schema.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    const table = body?.match(/@@map\("(\w+)"\)/)?.[1] ?? model ?? '';
    for (const line of (body ?? '').split('\n')) {
      const match = line.match(/^\s+(\w+)\s+(\w+)(\?|\[\])?\s*(.*)$/);
      if (!match || !SCALARS.has(match[2] ?? '')) continue;
      const [, name, type, modifier, attributes = ''] = match;
      fields.push({
        model: model ?? '',
        table,
        column: attributes.match(/@map\("(\w+)"\)/)?.[1] ?? name ?? '',
        type: type ?? '',
        nullable: modifier === '?',
        hasDefault: attributes.includes('@default('),
        native: attributes.match(/@db\.(\w+(?:\([\d, ]+\))?)/)?.[1] ?? null,
      });
    }
  }
  return fields;
}

/** The PostgreSQL type a Prisma field maps to, as information_schema describes it. */
function expectedType(field: PrismaField): string {
  if (field.native === 'Uuid') return 'uuid';
  const decimal = field.native?.match(/^Decimal\((\d+), ?(\d+)\)$/);
  if (decimal) return `numeric(${decimal[1]},${decimal[2]})`;
  const timestamp = field.native?.match(/^Timestamptz\((\d)\)$/);
  if (timestamp) return `timestamp with time zone(${timestamp[1]})`;
  if (field.native) throw new Error(`no mapping for @db.${field.native}`);
  return (
    {
      String: 'text',
      Int: 'integer',
      Json: 'jsonb',
      Boolean: 'boolean',
      DateTime: 'timestamp(3)',
      BigInt: 'bigint',
      Float: 'double precision',
      Decimal: 'numeric(65,30)',
    }[field.type] ?? field.type
  );
}

describe('schema.prisma and the SQL migrations', () => {
  let db: TestDatabase;
  let fields: PrismaField[];
  let columns: Map<string, { type: string; nullable: boolean; hasDefault: boolean }>;

  beforeAll(async () => {
    db = await createTestDatabase();
    fields = await prismaFields();
    const rows = await db.query<Record<string, any>>(
      `
      SELECT table_name, column_name, data_type, is_nullable, column_default,
             numeric_precision, numeric_scale, datetime_precision
      FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = ANY($1)`,
      [[...new Set(fields.map((f) => f.table))]],
    );
    columns = new Map(
      rows.map((row) => {
        let type = row.data_type as string;
        if (type === 'numeric') type = `numeric(${row.numeric_precision},${row.numeric_scale})`;
        if (type === 'timestamp with time zone') type = `${type}(${row.datetime_precision})`;
        return [
          `${row.table_name}.${row.column_name}`,
          { type, nullable: row.is_nullable === 'YES', hasDefault: row.column_default !== null },
        ];
      }),
    );
  });
  afterAll(() => db?.close());

  it('reads every model of schema.prisma, and each model has a table', async () => {
    const schema = await readFile(
      new URL('../../../prisma/schema.prisma', import.meta.url),
      'utf8',
    );
    const declared = Array.from(schema.matchAll(/^model (\w+) \{/gm), (match) => match[1]);
    expect(new Set(fields.map((field) => field.model))).toEqual(new Set(declared));
    const tables = new Set([...columns.keys()].map((key) => key.split('.')[0]));
    expect(new Set(fields.map((field) => field.table))).toEqual(tables);
  });

  it('maps every model field to a column of the right type, nullability and default', () => {
    const mismatches = fields.flatMap((field) => {
      const column = columns.get(`${field.table}.${field.column}`);
      const expected = {
        type: expectedType(field),
        nullable: field.nullable,
        hasDefault: field.hasDefault,
      };
      return column && JSON.stringify(column) === JSON.stringify(expected)
        ? []
        : [{ field: `${field.model}.${field.column}`, expected, actual: column ?? 'missing' }];
    });
    expect(mismatches).toEqual([]);
  });

  it('has no column that schema.prisma does not know', () => {
    const known = new Set(fields.map((field) => `${field.table}.${field.column}`));
    expect([...columns.keys()].filter((column) => !known.has(column))).toEqual([]);
  });
});
