export { decodePaymentSignature } from './decode.ts';
export {
  isPaymentInvalidError,
  PAYMENT_INVALID_REASONS,
  PAYMENT_REQUIRED_HEADER,
  PaymentErrorCode,
  type PaymentInvalidReason,
  paymentAlreadyUsedError,
  paymentFailedError,
  paymentInvalidError,
  paymentRequiredError,
} from './errors.ts';
export { type ExactEip3009Payload, parseExactEip3009Payload } from './exact-payload.ts';
export { facilitatorRefusalError } from './facilitator-reasons.ts';
export { createHttpFacilitator } from './http-facilitator.ts';
export {
  createLocalFacilitator,
  LOCAL_FACILITATOR_DESCRIPTION,
  type LocalFacilitator,
  type LocalFacilitatorOptions,
  NONCE_ALREADY_USED,
} from './local-facilitator.ts';
export {
  buildPaymentRequired,
  buildPaymentRequirements,
  buildTemplatePaymentRequired,
  DEFAULT_MAX_TIMEOUT_SECONDS,
  priceToAtomicUnits,
  type RequirementOptions,
  USDC_DECIMALS,
} from './requirements.ts';
export type * from './types.ts';
export { VALID_BEFORE_MARGIN_SECONDS, verifyPaymentLocally } from './verify.ts';
