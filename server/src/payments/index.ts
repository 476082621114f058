export { SETTLEMENT_UNKNOWN } from './charge.ts';
export {
  authorizationWindowSeconds,
  createPaymentGate,
  type PaymentSettings,
} from './create-payment-gate.ts';
export { decodePaymentSignature } from './decode.ts';
export {
  isPaymentInvalidError,
  PAYMENT_INVALID_REASONS,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  type PaymentInvalidReason,
  paymentAlreadyUsedError,
  paymentFailedError,
  paymentInvalidError,
  paymentRequiredError,
  paymentUnavailableError,
  settlementFailedError,
} from './errors.ts';
export { type ExactEip3009Payload, parseExactEip3009Payload } from './exact-payload.ts';
export { createHttpFacilitator } from './facilitators/http.ts';
export {
  createLocalFacilitator,
  LOCAL_FACILITATOR_DESCRIPTION,
  type LocalFacilitator,
  type LocalFacilitatorOptions,
  NONCE_ALREADY_USED,
} from './facilitators/local.ts';
export { facilitatorRefusalError } from './facilitators/refusal-reasons.ts';
export { PAID_FIELD, useOnePaidFieldPerOperation } from './one-paid-field.ts';
export {
  buildPaymentRequired,
  buildPaymentRequirements,
  buildTemplatePaymentRequired,
  DEFAULT_MAX_TIMEOUT_SECONDS,
  paymentAsset,
  priceToAtomicUnits,
  type RequirementOptions,
  USDC_DECIMALS,
  usdcNetworks,
} from './requirements.ts';
export {
  createPaymentReservations,
  type PaymentClaim,
  type PaymentReservations,
  type ReservationState,
  type SettlementRecord,
} from './reservations.ts';
export type * from './types.ts';
export { VALID_BEFORE_MARGIN_SECONDS, verifyPaymentLocally } from './verify.ts';
export { createX402Gate, type X402GateOptions } from './x402-gate.ts';
