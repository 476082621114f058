import { decodePaymentSignatureHeader } from '@x402/core/http';
import { PaymentPayloadV2Schema } from '@x402/core/schemas';
import { paymentInvalidError } from './errors.ts';
import { parseExactEip3009Payload } from './exact-payload.ts';
import type { PaymentPayload, PaymentRequired } from './types.ts';

/** A real payload is well under 4 KiB; the cap keeps hostile input from reaching the parsers. */
const MAX_ENCODED_LENGTH = 16 * 1024;

/**
 * Decodes a PAYMENT-SIGNATURE header (or the same base64 string sent as a GraphQL argument).
 * Error messages never echo the input: it is a bearer credential until settled.
 */
export function decodePaymentSignature(
  headerOrField: string,
  paymentRequired?: PaymentRequired,
): PaymentPayload {
  const malformed = (detail: string) => paymentInvalidError('malformed', paymentRequired, detail);
  const encoded = headerOrField.trim();
  if (encoded.length === 0 || encoded.length > MAX_ENCODED_LENGTH) {
    throw malformed('payment signature is empty or too long');
  }
  let decoded: unknown;
  try {
    decoded = decodePaymentSignatureHeader(encoded);
  } catch {
    throw malformed('payment signature is not base64-encoded JSON');
  }
  if (!PaymentPayloadV2Schema.safeParse(decoded).success) {
    throw malformed('payment signature is not an x402 v2 PaymentPayload');
  }
  const payload = decoded as PaymentPayload;
  if (!parseExactEip3009Payload(payload.payload)) {
    throw malformed('payment payload is not an EIP-3009 authorization with a signature');
  }
  return payload;
}
