/**
 * Filters of a template's run log (owners: every run; others: their own, RLS), shared by history
 * pages, their exact totalCount and the export (README "Export"). Each part narrows the rows;
 * none given selects them all.
 */
import { type SqlText, sql } from '../db/sql.ts';
import { badInput } from '../lib/api-errors.ts';

export interface RunLogFilter {
  status?: 'running' | 'success' | 'failed' | null;
  /** A signed-in caller's user id. */
  callerId?: string | null;
  /** A payer's wallet address (any case). */
  payerAddress?: string | null;
  /** created_at >= from. */
  from?: Date | null;
  /** created_at < to. */
  to?: Date | null;
  /** true: charged runs only (amountPaid > 0); false: free runs only. */
  paid?: boolean | null;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export function checkRunLogFilter(filter: RunLogFilter): RunLogFilter {
  if (filter.payerAddress && !ADDRESS.test(filter.payerAddress)) {
    throw badInput('payerAddress must be a 0x-prefixed 20-byte hex address', 'payerAddress');
  }
  if (filter.from && filter.to && filter.from >= filter.to) {
    throw badInput('from must be before to', 'from');
  }
  return { ...filter, payerAddress: filter.payerAddress?.toLowerCase() ?? null };
}

export const hasRunLogFilter = (filter: RunLogFilter | undefined) =>
  Boolean(filter && Object.values(filter).some((value) => value !== null && value !== undefined));

/** The filter as `AND …` conditions on the log's columns ('' for none). */
export function runLogConditionsSql(filter: RunLogFilter | undefined): SqlText {
  const parts: SqlText[] = [];
  if (filter?.status) parts.push(sql`status = ${filter.status}`);
  if (filter?.callerId) parts.push(sql`caller_id = ${sql.uuid(filter.callerId)}`);
  if (filter?.payerAddress) parts.push(sql`lower(payer_address) = ${filter.payerAddress}`);
  if (filter?.from) parts.push(sql`created_at >= ${filter.from}`);
  if (filter?.to) parts.push(sql`created_at < ${filter.to}`);
  if (filter?.paid === true) parts.push(sql`amount_paid > 0`);
  if (filter?.paid === false) parts.push(sql`amount_paid = 0`);
  return sql.join(
    parts.map((part) => sql` AND ${part}`),
    sql``,
  );
}

/** The same filter as a Prisma where. */
export function runLogWhere(filter: RunLogFilter | undefined) {
  return {
    ...(filter?.status ? { status: filter.status } : {}),
    ...(filter?.callerId ? { callerId: filter.callerId } : {}),
    ...(filter?.payerAddress
      ? { payerAddress: { equals: filter.payerAddress, mode: 'insensitive' as const } }
      : {}),
    ...(filter?.from || filter?.to
      ? {
          createdAt: {
            ...(filter.from ? { gte: filter.from } : {}),
            ...(filter.to ? { lt: filter.to } : {}),
          },
        }
      : {}),
    ...(filter?.paid === true ? { amountPaid: { gt: 0 } } : {}),
    ...(filter?.paid === false ? { amountPaid: 0 } : {}),
  };
}
