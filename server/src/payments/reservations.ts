import { asRole, BACKEND_ROLE } from '../db/roles.ts';
import { type SqlText, sql } from '../db/sql.ts';
import { backendClient } from '../db/viewer-client.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { VerifiedPayment } from './types.ts';

/** Lifecycle of a claimed payment; see prisma/migrations/002_payment_reservations. */
export type ReservationState =
  | 'reserved'
  | 'released'
  | 'settling'
  | 'settled'
  | 'settle_failed'
  | 'settle_unknown';

export interface PaymentClaim {
  payment: VerifiedPayment;
  payTo: string;
  /** The execution-log id of the run that will hold the payment. */
  runId: string;
}

export type SettlementRecord =
  | { state: 'settled'; transaction: string }
  | { state: 'settle_failed' | 'settle_unknown'; error: string; transaction?: string };

/** How a run leaves its reservation: written in the same transaction as the run's final row. */
export type ReservationEnd =
  | { id: string; state: 'released' }
  | ({ id: string } & SettlementRecord);

/**
 * The database lock that makes a payment pay for at most one run at a time and be settled at
 * most once, across requests and server instances. Every transition is a compare-and-set on the
 * state, so two callers can never both win one.
 */
export interface PaymentReservations {
  /**
   * Claims the payment for a run: the reservation id, or null when it is already claimed,
   * settled or being settled. A `released` reservation (its run failed, nothing was charged) is
   * claimed again: the same signed authorization may pay for one new run.
   */
  reserve(claim: PaymentClaim): Promise<string | null>;
  /** reserved → settling. False when it was not `reserved`: then do not settle. */
  beginSettlement(id: string): Promise<boolean>;
}

const RESERVATIONS = sql`x402_payment_reservations`;

/**
 * The compare-and-set that ends a reservation, as one statement for the message that writes the
 * run's final row (ExecutionLog.complete), so the ledger and the log never disagree:
 * reserved → released (the run failed before settlement), or settling → its settlement record.
 */
export function endReservationSql(end: ReservationEnd): SqlText {
  const id = sql.uuid(end.id);
  if (end.state === 'released') {
    return sql`UPDATE ${RESERVATIONS} SET state = 'released', updated_at = now() WHERE id = ${id} AND state = 'reserved'`;
  }
  const transaction = end.transaction || null;
  const error = end.state === 'settled' ? null : end.error.slice(0, 2000);
  return sql`UPDATE ${RESERVATIONS} SET state = ${end.state}, settlement_transaction = ${transaction}, error = ${error}, updated_at = now() WHERE id = ${id} AND state = 'settling'`;
}

export function createPaymentReservations(prisma: PrismaClient): PaymentReservations {
  const backend = backendClient(prisma);

  async function move(id: string, from: ReservationState, data: Record<string, unknown>) {
    const { count } = await backend.paymentReservation.updateMany({
      where: { id, state: from },
      data: { ...data, updatedAt: new Date() },
    });
    return count === 1;
  }

  return {
    async reserve({ payment, payTo, runId }) {
      const key = {
        network: payment.network,
        asset: payment.asset.toLowerCase(),
        payer: payment.payer.toLowerCase(),
        nonce: payment.nonce.toLowerCase(),
      };
      // One statement, so concurrent claims serialise on the unique index: the first inserts,
      // the others find the conflict and update only a `released` row — i.e. nothing.
      const [, rows] = await prisma.$transaction([
        asRole(prisma, BACKEND_ROLE),
        prisma.$queryRaw<{ id: string }[]>`
          INSERT INTO x402_payment_reservations AS r
            (network, asset, payer, nonce, pay_to, amount, state, usage_log_id, signature,
             valid_before)
          VALUES (${key.network}, ${key.asset}, ${key.payer}, ${key.nonce},
            ${payTo.toLowerCase()}, ${payment.amount}::numeric, 'reserved', ${runId}::uuid,
            ${payment.signature}, ${payment.validBefore})
          ON CONFLICT (network, asset, payer, nonce) DO UPDATE
            SET state = 'reserved', usage_log_id = EXCLUDED.usage_log_id,
                signature = EXCLUDED.signature, valid_before = EXCLUDED.valid_before,
                attempts = r.attempts + 1, error = NULL, updated_at = now()
            WHERE r.state = 'released'
          RETURNING id::text AS id`,
      ]);
      return rows[0]?.id ?? null;
    },

    beginSettlement: (id) => move(id, 'reserved', { state: 'settling' }),
  };
}
