import type { KeysetPosition } from '../../executions/execution-sql.ts';
import { badInput } from '../../lib/api-errors.ts';
import { UUID } from '../../lib/uuid.ts';

/** Keyset position: rows are ordered newest first by (createdAt, id). */
export type Position = KeysetPosition;

export const MAX_PAGE_SIZE = 100;
/** 9999-12-31T23:59:59.999Z: the latest instant Prisma and a timestamp column both represent. */
const LATEST_MILLIS = 253_402_300_799_999;

export const encodeCursor = (row: Position) =>
  Buffer.from(`${row.createdAt.getTime()}:${row.id}`).toString('base64url');

export function decodeCursor(cursor: string): Position {
  const [millis, id, extra] =
    cursor.length <= 200 ? Buffer.from(cursor, 'base64url').toString('utf8').split(':') : [];
  const createdAt = new Date(Number(millis));
  if (
    extra !== undefined ||
    !id ||
    !UUID.test(id) ||
    !/^\d{1,15}$/.test(millis ?? '') ||
    !(createdAt.getTime() <= LATEST_MILLIS)
  ) {
    throw badInput('Malformed cursor: pass a cursor from a previous page unchanged', 'after');
  }
  return { createdAt, id };
}

export function pageSize(first: number | null | undefined): number {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}, got ${size}`, 'first');
  }
  return size;
}

/**
 * Prisma filter for the rows strictly after `after` in (createdAt DESC, id DESC) order. The
 * redundant `lte` bounds the index scan, so a deep page starts at the cursor instead of
 * walking every newer row (Prisma cannot say `(created_at, id) < ($1, $2)`).
 */
export const after = (position: Position | null) =>
  position
    ? {
        createdAt: { lte: position.createdAt },
        OR: [
          { createdAt: { lt: position.createdAt } },
          { createdAt: position.createdAt, id: { lt: position.id } },
        ],
      }
    : {};

export const newestFirst = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];

/**
 * A Relay connection from `size + 1` rows fetched after a cursor: the extra row only tells
 * whether there is a next page. `totalCount` runs only when the client selects it.
 */
export function toConnection<Row extends Position>(
  rows: Row[],
  size: number,
  hadCursor: boolean,
  totalCount: () => Promise<number>,
) {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      // Forward-only pagination: a cursor means there were rows before it.
      hasPreviousPage: hadCursor,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}

/** The lazy totalCount of a connection built by toConnection. */
export const countOf = (connection: object) =>
  (connection as ReturnType<typeof toConnection>).totalCount();
