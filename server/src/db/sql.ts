/**
 * SQL text for statements sent on the simple protocol (Database.runAs), which has no parameters.
 * Statements are written with the `sql` tag only: it writes each value as a checked literal, and
 * its result, SqlText, is what runAs accepts — a plain string does not type-check there. Each
 * literal helper checks its value's kind and throws on anything else, so a wrong value fails
 * here instead of becoming SQL.
 */
import pg from 'pg';
import { UUID } from '../lib/uuid.ts';

export const uuid = (id: string) => {
  if (!UUID.test(id)) throw new Error(`not a UUID: ${id}`);
  return `'${id}'`;
};

export const timestamp = (at: Date) => {
  if (Number.isNaN(at.getTime())) throw new Error('not a timestamp');
  return `'${at.toISOString()}'::timestamptz`;
};

/** Non-negative only: a minus sign after another one would start a `--` comment. */
export const integer = (value: number) => {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`not a non-negative integer: ${value}`);
  }
  return String(value);
};

/** A non-negative decimal string such as a USDC amount ("0.25"). */
export const decimal = (value: string) => {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`not a decimal: ${value}`);
  return `'${value}'::numeric`;
};

/**
 * Any text, quoted by pg's escapeLiteral (doubled quotes; E'' when there are backslashes, so it
 * reads the same whatever standard_conforming_strings is). NUL characters are dropped:
 * PostgreSQL text cannot hold them.
 */
export const text = (value: string) => pg.escapeLiteral(value.replaceAll('\0', ''));

/** NULL, or `value` as text, timestamp or integer by its type. */
export function literal(value: string | number | Date | null): string {
  if (value === null) return 'NULL';
  if (value instanceof Date) return timestamp(value);
  if (typeof value === 'number') return integer(value);
  if (typeof value === 'string') return text(value);
  throw new Error(`no SQL literal for ${typeof value}`);
}

const checked: unique symbol = Symbol('SqlText');

/** SQL written by the `sql` tag (or its helpers) only: an object a raw string cannot stand for. */
export interface SqlText {
  readonly text: string;
  readonly [checked]: true;
}

const sqlText = (text: string): SqlText => ({ text, [checked]: true });

const isSqlText = (value: unknown): value is SqlText =>
  typeof value === 'object' && value !== null && checked in value;

/** What `${…}` in the `sql` tag takes: a fragment, spliced as is, or a value for literal(). */
export type SqlValue = SqlText | string | number | Date | null;

/** A statement or fragment: the template's text, with each value written by literal(). */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): SqlText {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += (isSqlText(value) ? value.text : literal(value)) + strings[index + 1];
  });
  return sqlText(text);
}

/** A UUID literal, for where literal() would write text without checking it is a UUID. */
sql.uuid = (id: string) => sqlText(uuid(id));

/** A `::numeric` literal (literal() writes strings as text). */
sql.decimal = (value: string) => sqlText(decimal(value));

/** A plain lowercase name (a column, a table), written as is: never a caller's text. */
sql.identifier = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return sqlText(name);
};

/** The fragments joined by `separator`. */
sql.join = (fragments: readonly SqlText[], separator: SqlText) =>
  sqlText(fragments.map((fragment) => fragment.text).join(separator.text));
