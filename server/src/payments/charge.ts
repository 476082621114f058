import { SettleError } from '@x402/core/types';
import { formatUnits } from 'viem';
import { withTimeout } from './facilitators/timeout.ts';
import type { Charge, SettleOutcome } from './payment-gate.ts';
import { USDC_DECIMALS } from './requirements.ts';
import type { PaymentReservations, ReservationEnd } from './reservations.ts';
import type {
  FacilitatorClient,
  PaymentPayload,
  PaymentRequirements,
  SettleResponse,
  VerifiedPayment,
} from './types.ts';

export const SETTLEMENT_UNKNOWN = 'settlement_unknown';
/** What @x402/evm's facilitator answers when it broadcast a transaction but saw no receipt. */
const SETTLEMENT_PENDING = 'settlement_pending';

export interface PaidChargeDeps {
  facilitator: FacilitatorClient;
  reservations: PaymentReservations;
  settleTimeoutMs: number;
  /** Where failures that must not break the run are reported (never with the payment itself). */
  report: (message: string) => void;
}

export interface ReservedPayment {
  payload: PaymentPayload;
  requirements: PaymentRequirements;
  payment: VerifiedPayment;
  reservationId: string;
}

/**
 * The charge of a run whose payment is verified and reserved. `settle` asks the facilitator once
 * at most — the reservation's reserved → settling compare-and-set guarantees it even across
 * server instances. Its outcome says how the reservation ends; the run writes that with its
 * final row, in one transaction (ExecutionLog.complete), or journals both.
 */
export function paidCharge(deps: PaidChargeDeps, reserved: ReservedPayment): Charge {
  const { payment, reservationId } = reserved;
  let settlement: Promise<SettleOutcome> | null = null;
  return {
    kind: 'paid',
    payer: payment.payer,
    amount: formatUnits(BigInt(payment.amount), USDC_DECIMALS),
    network: payment.network,
    signature: payment.signature,
    reservationId,
    settle() {
      settlement ??= settleOnce(deps, reserved);
      return settlement;
    },
  };
}

async function settleOnce(deps: PaidChargeDeps, reserved: ReservedPayment): Promise<SettleOutcome> {
  const { requirements, reservationId } = reserved;
  const claimed = await deps.reservations.beginSettlement(reservationId).catch((error: unknown) => {
    deps.report(`could not mark reservation ${reservationId} as settling: ${message(error)}`);
    return false;
  });
  if (!claimed) {
    // Not settled, so not charged: without the record we may not ask the facilitator at all.
    // Still `reserved` (the database was unreachable)? Then the run's end releases it.
    const reason = 'reservation_unavailable';
    const outcome = refused(
      reason,
      'the payment reservation could not be claimed',
      requirements,
      false,
    );
    return { ...outcome, reservation: { id: reservationId, state: 'released' } };
  }
  const outcome = await askFacilitator(deps, reserved);
  const reservation: ReservationEnd = outcome.ok
    ? { id: reservationId, state: 'settled', transaction: outcome.transaction }
    : {
        id: reservationId,
        state: outcome.unknown ? 'settle_unknown' : 'settle_failed',
        error: outcome.error,
        transaction: outcome.response.transaction,
      };
  return { ...outcome, reservation };
}

type Answer = DistributiveOmit<SettleOutcome, 'reservation'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

async function askFacilitator(
  { facilitator, settleTimeoutMs }: PaidChargeDeps,
  { payload, requirements, payment }: ReservedPayment,
): Promise<Answer> {
  let response: SettleResponse;
  try {
    response = await withTimeout(facilitator.settle(payload, requirements), settleTimeoutMs);
  } catch (error) {
    if (!(error instanceof SettleError)) {
      // A timeout or a broken connection says nothing about whether the transfer happened.
      return refused(SETTLEMENT_UNKNOWN, `no answer: ${message(error)}`, requirements, true);
    }
    response = {
      success: false,
      errorReason: error.errorReason ?? error.message,
      errorMessage: error.errorMessage,
      payer: error.payer,
      transaction: error.transaction ?? '',
      network: error.network ?? requirements.network,
    };
  }
  if (response.success) {
    const { transaction, network } = response;
    return { ok: true, transaction, network, payer: payment.payer, response };
  }
  const reason = response.errorReason ?? 'settlement_failed';
  // A refusal is final only if nothing was broadcast: a sent transaction may still be mined.
  if (response.transaction || reason === SETTLEMENT_PENDING) {
    const detail = `${reason}${response.transaction ? ` (transaction ${response.transaction})` : ''}`;
    return { ...refused(SETTLEMENT_UNKNOWN, detail, requirements, true), response };
  }
  const detail = response.errorMessage ? `${reason}: ${response.errorMessage}` : reason;
  return { ...refused(reason, detail, requirements, false), response };
}

function refused(
  reason: string,
  detail: string,
  requirements: PaymentRequirements,
  unknown: boolean,
): Extract<Answer, { ok: false }> {
  const error = unknown ? `settlement outcome unknown: ${detail}` : detail;
  return {
    ok: false,
    reason,
    error,
    unknown,
    response: {
      success: false,
      errorReason: reason,
      transaction: '',
      network: requirements.network,
    },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
