import { VerifyError } from '@x402/core/types';
import type { Template } from '../generated/prisma/client.ts';
import { isOwner } from '../templates/ownership.ts';
import { paidCharge } from './charge.ts';
import { decodePaymentSignature } from './decode.ts';
import {
  paymentAlreadyUsedError,
  paymentFailedError,
  paymentInvalidError,
  paymentRequiredError,
  paymentUnavailableError,
} from './errors.ts';
import { facilitatorRefusalError } from './facilitators/refusal-reasons.ts';
import { withTimeout } from './facilitators/timeout.ts';
import type { Charge, PaymentGate } from './payment-gate.ts';
import { buildTemplatePaymentRequired, paymentAsset, templateResource } from './requirements.ts';
import type { PaymentReservations } from './reservations.ts';
import type {
  AssetOverride,
  FacilitatorClient,
  PaymentPayload,
  PaymentRequired,
  PaymentRequirements,
  VerifyResponse,
} from './types.ts';
import { verifyPaymentLocally } from './verify.ts';

export interface X402GateOptions {
  facilitator: FacilitatorClient;
  reservations: PaymentReservations;
  /** Per network, a token to charge in instead of its USDC known to @x402/evm (a local chain's). */
  assets?: Readonly<Record<string, AssetOverride>>;
  /**
   * How long a signed authorization must stay valid (x402 maxTimeoutSeconds): longer than the
   * slowest model run plus settlement, or a long run's payment expires before it is settled.
   */
  maxTimeoutSeconds?: number;
  /** Without an answer by then, verification fails and a settlement's outcome is unknown. */
  facilitatorTimeoutMs?: number;
  description?: string;
  /** Settlement is simulated; by default, what the facilitator says of itself. */
  simulated?: boolean;
  now?: () => Date;
  report?: (message: string) => void;
}

const FREE: Charge = { kind: 'free' };

/**
 * The x402 payment step of the run pipeline. Owners and free templates run free; anyone else
 * pays per run: the payment is decoded, matched to the template's requirements, verified locally
 * and by the facilitator, then RESERVED (unique on network, token, payer, nonce) before the model
 * is called. Settlement happens once, after a successful run (see charge.ts).
 */
export function createX402Gate(options: X402GateOptions): PaymentGate {
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.facilitatorTimeoutMs ?? 30_000;
  const chargeDeps = {
    facilitator: options.facilitator,
    reservations: options.reservations,
    settleTimeoutMs: timeoutMs,
    report: options.report ?? ((message: string) => console.error(`[payments] ${message}`)),
  };

  const asset = (network: string) => paymentAsset(network, options.assets);

  function quote(template: Template, resourceUrl: string): PaymentRequired | null {
    if (template.priceUsdc.isZero()) return null;
    const token = asset(template.network);
    if (!token) throw paymentUnavailableError(template.network);
    const priced = { ...template, priceUsdc: template.priceUsdc.toFixed() };
    return buildTemplatePaymentRequired(priced, resourceUrl, {
      asset: token,
      maxTimeoutSeconds: options.maxTimeoutSeconds,
      resource: templateResource(template.id),
    });
  }

  return {
    description: options.description ?? 'x402',
    simulated:
      options.simulated ?? (options.facilitator as { simulated?: unknown }).simulated === true,
    asset,
    quote,

    async authorize({ template, viewer, payment, resourceUrl, runId }) {
      if (isOwner(template, viewer)) return FREE;
      const paymentRequired = quote(template, resourceUrl);
      if (!paymentRequired) return FREE;
      if (!payment) throw paymentRequiredError(paymentRequired);

      const requirements = paymentRequired.accepts[0] as PaymentRequirements;
      const payload = decodePaymentSignature(payment, paymentRequired);
      // The signature binds payer, payee, amount and nonce, not the resource: a payment for
      // another template with the same payee and price would verify. Its accepted terms must
      // name this template.
      if (payload.accepted?.extra?.resource !== requirements.extra.resource) {
        throw paymentInvalidError(
          'resource_mismatch',
          paymentRequired,
          'payment was signed for another resource',
        );
      }
      const verified = await verifyPaymentLocally(payload, requirements, now(), paymentRequired);
      await verifyWithFacilitator(options.facilitator, payload, requirements, paymentRequired);
      // Verification is not a lock: two concurrent verifies of one payment both pass. The
      // reservation is, so only one run ever starts with this authorization.
      const reservationId = await options.reservations.reserve({
        payment: verified,
        payTo: requirements.payTo,
        runId,
      });
      if (!reservationId) throw paymentAlreadyUsedError();
      return paidCharge(chargeDeps, { payload, requirements, payment: verified, reservationId });
    },
  };

  async function verifyWithFacilitator(
    facilitator: FacilitatorClient,
    payload: PaymentPayload,
    requirements: PaymentRequirements,
    paymentRequired: PaymentRequired,
  ) {
    let verdict: VerifyResponse;
    try {
      verdict = await withTimeout(facilitator.verify(payload, requirements), timeoutMs);
    } catch (error) {
      // The HTTP client throws VerifyError for a refusal sent with a non-200 status.
      if (!(error instanceof VerifyError)) throw paymentFailedError('facilitator_unavailable');
      verdict = { isValid: false, invalidReason: error.invalidReason, payer: error.payer };
    }
    if (!verdict.isValid) throw facilitatorRefusalError(verdict.invalidReason, paymentRequired);
  }
}
