import { UUID } from '../lib/uuid.ts';

/**
 * Where a row's latest change sits in a template's live history: the transaction that made it
 * (migration 005, a commit watermark, not a sequence) and the row's id. Opaque to clients.
 */
export interface LogPosition {
  xid: bigint;
  id: string;
}

const MAX_ID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

export const encodePosition = ({ xid, id }: LogPosition) =>
  Buffer.from(`${xid}:${id}`).toString('base64url');

/** Null when `token` is not a position this server wrote. */
export function decodePosition(token: string): LogPosition | null {
  if (token.length > 80) return null;
  const [xid, id, ...rest] = Buffer.from(token, 'base64url').toString().split(':');
  if (rest.length > 0 || !xid || !/^\d{1,19}$/.test(xid) || !id || !UUID.test(id)) return null;
  const value = BigInt(xid);
  return value <= 9223372036854775807n ? { xid: value, id: id.toLowerCase() } : null;
}

/** Just before every change made by a transaction at or after `watermark`. */
export const beforeWatermark = (watermark: bigint): LogPosition => ({
  xid: watermark - 1n,
  id: MAX_ID,
});

export const isAfter = (a: LogPosition, b: LogPosition) =>
  a.xid > b.xid || (a.xid === b.xid && a.id > b.id);

/** A row's position: its latest change. */
export const positionOf = (row: { logXid: bigint; id: string }): LogPosition => ({
  xid: row.logXid,
  id: row.id,
});
