import { encodePaymentRequiredHeader, encodePaymentResponseHeader } from '@x402/core/http';
import { GraphQLError } from 'graphql';
import { apiError } from '../lib/api-errors.ts';
import type { PaymentRequired, SettleResponse } from './types.ts';

export const PAYMENT_REQUIRED_HEADER = 'PAYMENT-REQUIRED';
export const PAYMENT_RESPONSE_HEADER = 'PAYMENT-RESPONSE';

export const PAYMENT_INVALID_REASONS = [
  'malformed',
  'scheme_mismatch',
  'network_mismatch',
  'asset_mismatch',
  'payee_mismatch',
  'amount_mismatch',
  'not_yet_valid',
  'expired',
  'invalid_signature',
  'resource_mismatch',
] as const;

export type PaymentInvalidReason = (typeof PAYMENT_INVALID_REASONS)[number];

/** HTTP 402 + PAYMENT-REQUIRED: graphql-yoga copies `extensions.http` onto the response. */
function http402(paymentRequired: PaymentRequired) {
  return {
    status: 402,
    headers: { [PAYMENT_REQUIRED_HEADER]: encodePaymentRequiredHeader(paymentRequired) },
  };
}

export function paymentRequiredError(paymentRequired: PaymentRequired): GraphQLError {
  return apiError('PAYMENT_REQUIRED', 'Payment required', {
    x402: paymentRequired,
    http: http402(paymentRequired),
  });
}

/**
 * With `paymentRequired` the error is also an HTTP 402 carrying fresh requirements (its `error`
 * set to the reason), so an x402 wallet client can sign again.
 */
export function paymentInvalidError(
  reason: PaymentInvalidReason,
  paymentRequired?: PaymentRequired,
  detail?: string,
): GraphQLError {
  const retry = paymentRequired && { ...paymentRequired, error: reason };
  return apiError('PAYMENT_INVALID', `Payment invalid: ${detail ?? reason}`, {
    reason,
    ...(retry && { x402: retry, http: http402(retry) }),
  });
}

export function paymentAlreadyUsedError(): GraphQLError {
  return apiError('PAYMENT_ALREADY_USED', 'Payment already used');
}

export function paymentFailedError(reason: string): GraphQLError {
  return apiError('PAYMENT_FAILED', `Payment failed: ${reason}`, { reason });
}

/**
 * Settlement failed after a successful run: the output is withheld. As the reference x402 server
 * does, the HTTP answer is a 402 whose PAYMENT-RESPONSE header carries the failed SettleResponse.
 */
export function settlementFailedError(
  reason: string,
  response: SettleResponse,
  executionId: string,
): GraphQLError {
  return apiError(
    'PAYMENT_FAILED',
    `Payment could not be settled (${reason}); the output is withheld`,
    {
      reason,
      executionId,
      http: {
        status: 402,
        headers: { [PAYMENT_RESPONSE_HEADER]: encodePaymentResponseHeader(response) },
      },
    },
  );
}

/** A priced template on a network this server has no payment token for. */
export function paymentUnavailableError(network: string): GraphQLError {
  return apiError('PAYMENT_UNAVAILABLE', `This server cannot take payments on ${network}`, {
    network,
  });
}

export function isPaymentInvalidError(
  error: unknown,
): error is GraphQLError & { extensions: { reason: PaymentInvalidReason } } {
  return error instanceof GraphQLError && error.extensions.code === 'PAYMENT_INVALID';
}
