import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Charge } from './facilitator-stub.ts';
import { type Outcome, toldCounts } from './runs.ts';

/**
 * The promise checked from outside: what the client was told vs the execution log and the
 * reservations read directly from PostgreSQL, and the facilitator's charges vs success rows.
 */

export interface Row {
  id: string;
  status: string;
  error_message: string | null;
  amount_paid: string;
  payment_signature: string | null;
  payment_transaction: string | null;
}

export async function readRows(db: pg.Pool, templateDbId: string): Promise<Map<string, Row>> {
  const { rows } = await db.query<Row>(
    `SELECT id, status, error_message, amount_paid::text AS amount_paid, payment_signature,
            payment_transaction
     FROM x402_prompt_template_usage_logs WHERE template_id = $1`,
    [templateDbId],
  );
  return new Map(rows.map((row) => [row.id, row]));
}

export async function reservationStates(db: pg.Pool, payer: string) {
  const { rows } = await db.query<{ state: string; n: number }>(
    'SELECT state, count(*)::int AS n FROM x402_payment_reservations WHERE payer = $1 GROUP BY state',
    [payer],
  );
  return Object.fromEntries(rows.map(({ state, n }) => [state, n])) as Record<string, number>;
}

/** Resolves once `count` rows of the template have `status` (e.g. runs in flight: running). */
export async function waitForRows(
  db: pg.Pool,
  templateDbId: string,
  status: string,
  count: number,
  withinMs = 30_000,
) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM x402_prompt_template_usage_logs
       WHERE template_id = $1 AND status = $2`,
      [templateDbId, status],
    );
    const n = rows[0]?.n ?? 0;
    if (n >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${count} runs ${status}`);
    await sleep(100);
  }
}

export interface LedgerCheck {
  templateDbId: string;
  payer?: string;
  outcomes: Outcome[];
  /** The facilitator's charges for this payer. */
  charges: Charge[];
}

/** Everything that breaks the promise, counted; an empty `violations` means it holds. */
export async function auditLedger(db: pg.Pool, check: LedgerCheck) {
  const rows = await readRows(db, check.templateDbId);
  const reservations = check.payer ? await reservationStates(db, check.payer) : {};
  const bySignature = new Map(
    [...rows.values()].flatMap((row) =>
      row.payment_signature ? [[row.payment_signature, row] as const] : [],
    ),
  );
  const statusOf = (o: Outcome) => (o.runId ? (rows.get(o.runId)?.status ?? 'absent') : 'no id');
  const toldSuccessNotSuccess = check.outcomes.filter(
    (o) => o.told === 'success' && statusOf(o) !== 'success',
  );
  const toldFailedNotFailed = check.outcomes.filter(
    (o) => o.told === 'failed' && statusOf(o) !== 'failed',
  );
  // SERVICE_UNAVAILABLE promises nothing ran: a paid one must have no row and no charge.
  const unavailableButRan = check.outcomes.filter(
    (o) =>
      o.told === 'unavailable' &&
      o.signature &&
      (bySignature.has(o.signature) || check.charges.some((c) => c.signature === o.signature)),
  );
  const chargesWithoutSuccessRow = check.charges.filter((charge) => {
    const row = bySignature.get(charge.signature);
    return !(
      row &&
      row.status === 'success' &&
      row.payment_transaction === charge.transaction &&
      Number(row.amount_paid) * 1e6 === Number(charge.amount)
    );
  });
  const toldIds = new Set(check.outcomes.flatMap((o) => (o.runId ? [o.runId] : [])));
  const rowStatuses: Record<string, number> = {};
  for (const row of rows.values()) rowStatuses[row.status] = (rowStatuses[row.status] ?? 0) + 1;
  const counts = {
    told: toldCounts(check.outcomes),
    rows: rows.size,
    rowStatuses,
    rowsNotToldAbout: [...rows.keys()].filter((id) => !toldIds.has(id)).length,
    toldSuccessNotSuccess: toldSuccessNotSuccess.length,
    toldFailedNotFailed: toldFailedNotFailed.length,
    unavailableButRan: unavailableButRan.length,
    charges: check.charges.length,
    chargesWithoutSuccessRow: chargesWithoutSuccessRow.length,
    reservations,
    stuckReservations: (reservations.reserved ?? 0) + (reservations.settling ?? 0),
  };
  const unexplained = check.outcomes.filter((o) => o.told === 'error');
  const violations = [
    group(
      'told SUCCESS, row not success',
      toldSuccessNotSuccess,
      (o) => `${o.runId}: ${statusOf(o)}`,
    ),
    group('told FAILED, row not failed', toldFailedNotFailed, (o) => `${o.runId}: ${statusOf(o)}`),
    group(
      'told SERVICE_UNAVAILABLE, yet ran or charged',
      unavailableButRan,
      (o) => `${o.signature}`,
    ),
    group(
      'charged without a success row recording it',
      chargesWithoutSuccessRow,
      (c) => `${c.transaction}`,
    ),
    counts.stuckReservations > 0 ? `reservations stuck: ${JSON.stringify(reservations)}` : '',
    // A run refused with SERVICE_UNAVAILABLE leaves no row: every row is a run someone was told of.
    counts.rowsNotToldAbout > 0
      ? `${counts.rowsNotToldAbout} rows of runs no client was told about (a 503 that ran anyway?)`
      : '',
    // An infrastructure fault is answered honestly (SERVICE_UNAVAILABLE), never "Unexpected error."
    group('told neither a run nor a 503', unexplained, (o) => `${o.code} ${o.message ?? ''}`),
  ].filter(Boolean);
  return { counts, violations };
}

/** "N <what> (e.g. a, b, c)", or '' when there are none. */
function group<T>(what: string, items: T[], describe: (item: T) => string): string {
  if (items.length === 0) return '';
  const examples = [...new Set(items.map(describe))].slice(0, 3).join('; ');
  return `${items.length} ${what} (e.g. ${examples})`;
}

export type Audit = Awaited<ReturnType<typeof auditLedger>>;

/**
 * Audits until the promise holds or `withinMs` passes (the database may be catching up: a
 * journal replaying, a sweeper releasing), and says how long it took.
 */
export async function awaitLedger(db: pg.Pool, check: LedgerCheck, withinMs: number) {
  const start = Date.now();
  let audit: Audit | undefined;
  let lastError = '';
  while (Date.now() - start < withinMs) {
    try {
      audit = await auditLedger(db, check);
      if (audit.violations.length === 0) break;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await sleep(500);
  }
  if (!audit) throw new Error(`the database never answered the audit: ${lastError}`);
  return { ...audit, settledAfterMs: Date.now() - start };
}

/** The one-line summary a closing note quotes. */
export function summary(scenario: string, audit: Audit & { settledAfterMs?: number }) {
  const { told, ...rest } = audit.counts;
  return `[faults] ${scenario}: ${JSON.stringify({ ...told, ...rest, settledAfterMs: audit.settledAfterMs, violations: audit.violations.length })}`;
}
