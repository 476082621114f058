/**
 * Values written into SQL text, for statements sent on the simple protocol (Database.runAs),
 * which has no parameters. Each helper checks its value's kind and throws on anything else, so
 * a wrong value fails here instead of becoming SQL.
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
