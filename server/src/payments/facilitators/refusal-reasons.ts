import type { GraphQLError } from 'graphql';
import {
  PAYMENT_INVALID_REASONS,
  type PaymentInvalidReason,
  paymentAlreadyUsedError,
  paymentFailedError,
  paymentInvalidError,
} from '../errors.ts';
import type { PaymentRequired } from '../types.ts';

/** Reason strings of the @x402/evm 2.27 exact facilitator (not exported by the package). */
const EVM_REASONS: Record<string, PaymentInvalidReason> = {
  invalid_exact_evm_scheme: 'scheme_mismatch',
  invalid_exact_evm_network_mismatch: 'network_mismatch',
  invalid_exact_evm_recipient_mismatch: 'payee_mismatch',
  invalid_exact_evm_payload_authorization_value_mismatch: 'amount_mismatch',
  invalid_exact_evm_payload_authorization_valid_after: 'not_yet_valid',
  invalid_exact_evm_payload_authorization_valid_before: 'expired',
  invalid_exact_evm_signature: 'invalid_signature',
  invalid_exact_evm_failed_to_parse_signature: 'invalid_signature',
  unsupported_payload_type: 'malformed',
};

const ALREADY_USED_REASONS = new Set([
  'invalid_exact_evm_nonce_already_used',
  'nonce_already_used',
]);

/**
 * The GraphQL error for a facilitator's refusal (`invalidReason` of verify, `errorReason` of
 * settle), whichever facilitator gave it: caller mistakes become PAYMENT_INVALID with our reason,
 * replays PAYMENT_ALREADY_USED, anything else (balance, chain, facilitator) PAYMENT_FAILED.
 */
export function facilitatorRefusalError(
  reason: string | undefined,
  paymentRequired?: PaymentRequired,
): GraphQLError {
  const refusal = reason ?? 'unknown';
  if (ALREADY_USED_REASONS.has(refusal)) return paymentAlreadyUsedError();
  const invalid = EVM_REASONS[refusal] ?? asOwnReason(refusal);
  if (invalid) return paymentInvalidError(invalid, paymentRequired);
  return paymentFailedError(refusal);
}

function asOwnReason(reason: string): PaymentInvalidReason | undefined {
  return PAYMENT_INVALID_REASONS.find((own) => own === reason);
}
