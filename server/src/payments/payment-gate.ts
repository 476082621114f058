import type { Viewer } from '../auth/authenticator.ts';
import type { Template } from '../generated/prisma/client.ts';
import type { RunnableTemplate } from '../templates/ownership.ts';
import type { ReservationEnd } from './reservations.ts';
import type { AssetOverride, PaymentRequired, SettleResponse } from './types.ts';

export interface PaymentRequest {
  template: RunnableTemplate;
  viewer: Viewer | null;
  /** The x402 payment as sent (PAYMENT-SIGNATURE header or the `payment` input field). */
  payment: string | null;
  /** The URL the payment is for (the GraphQL endpoint). */
  resourceUrl: string;
  /** The id the run's execution-log row will have: a payment reservation points at it. */
  runId: string;
}

/**
 * `response` is what the PAYMENT-RESPONSE header carries; `reservation`, how the reservation
 * ends, written with the run's final row.
 */
export type SettleOutcome = { reservation: ReservationEnd } & (
  | { ok: true; transaction: string; network: string; payer: string; response: SettleResponse }
  | {
      ok: false;
      /** Our reason code, e.g. the facilitator's errorReason or "settlement_unknown". */
      reason: string;
      error: string;
      /** No clear answer (timeout, unconfirmed transaction): the payer may have been charged. */
      unknown: boolean;
      response: SettleResponse;
    }
);

/** What a run costs the caller, decided before any paid work starts. */
export type Charge =
  | { kind: 'free' }
  | {
      kind: 'paid';
      payer: string;
      /** USDC decimal string. */
      amount: string;
      network: string;
      /** Recorded in the log as payment_signature. */
      signature: string;
      /** The payment's reservation: a failed run releases it (ReservationEnd). */
      reservationId: string;
      /** Called only after a successful model run; settles at most once, never throws. */
      settle(): Promise<SettleOutcome>;
    };

/** The payment step of the run pipeline: it runs before the model call, settlement after. */
export interface PaymentGate {
  readonly description: string;
  /** True when settlement is simulated (the built-in offline facilitator): no money moves. */
  readonly simulated: boolean;
  /** The token runs are paid in on `network`; null when this server takes no payments there. */
  asset(network: string): AssetOverride | null;
  /**
   * Side-effect free quote: the x402 PaymentRequired of one paid run of `template` (null when it
   * is free). Throws PAYMENT_UNAVAILABLE when its network has no payment token here.
   */
  quote(template: Template, resourceUrl: string): PaymentRequired | null;
  /** Throws PAYMENT_REQUIRED / PAYMENT_INVALID / PAYMENT_ALREADY_USED before any paid work. */
  authorize(request: PaymentRequest): Promise<Charge>;
}
