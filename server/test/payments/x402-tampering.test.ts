import { type Hex, parseSignature, serializeSignature } from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildPaymentRequirements,
  createLocalFacilitator,
  type PaymentInvalidReason,
  type PaymentPayload,
  type PaymentRequirements,
  verifyPaymentLocally,
} from '../../src/payments/index.ts';
import { invalid, stockPayment, stranger, template } from './x402-support.ts';

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function clone<T>(value: T): T {
  return structuredClone(value);
}

function withAuthorization(
  payload: PaymentPayload,
  change: Record<string, string>,
): PaymentPayload {
  const copy = clone(payload);
  const authorization = copy.payload.authorization as Record<string, string>;
  Object.assign(authorization, change);
  return copy;
}

describe('a payment signed by the stock x402 client', () => {
  let requirements: PaymentRequirements;
  let payload: PaymentPayload;

  beforeAll(async () => {
    ({ requirements, payload } = await stockPayment());
  });

  const tamperings: [
    string,
    () => { payload: PaymentPayload; requirements: PaymentRequirements; now?: Date },
    PaymentInvalidReason,
  ][] = [
    [
      'a changed amount',
      () => ({ payload: withAuthorization(payload, { value: '1' }), requirements }),
      'amount_mismatch',
    ],
    [
      'a price raised after signing',
      () => ({
        payload,
        requirements: buildPaymentRequirements({ ...template, priceUsdc: '0.02' }),
      }),
      'amount_mismatch',
    ],
    [
      'another payee',
      () => ({ payload, requirements: { ...requirements, payTo: stranger } }),
      'payee_mismatch',
    ],
    [
      'another network',
      () => ({
        payload,
        requirements: buildPaymentRequirements({ ...template, network: 'eip155:8453' }),
      }),
      'network_mismatch',
    ],
    [
      'another token',
      () => ({ payload, requirements: { ...requirements, asset: stranger } }),
      'asset_mismatch',
    ],
    [
      'another scheme',
      () => ({
        payload: { ...payload, accepted: { ...requirements, scheme: 'upto' } },
        requirements,
      }),
      'scheme_mismatch',
    ],
    [
      'an expired authorization',
      () => ({ payload, requirements, now: new Date(Date.now() + 301_000) }),
      'expired',
    ],
    [
      'an authorization expiring too soon to settle',
      () => ({ payload, requirements, now: new Date(Date.now() + 296_000) }),
      'expired',
    ],
    [
      'an authorization not valid yet',
      () => ({
        payload: withAuthorization(payload, {
          validAfter: String(Math.floor(Date.now() / 1000) + 60),
        }),
        requirements,
      }),
      'not_yet_valid',
    ],
    [
      'a flipped signature byte',
      () => {
        const signature = payload.payload.signature as string;
        const flipped = `${signature.slice(0, 10)}${signature[10] === '0' ? '1' : '0'}${signature.slice(11)}`;
        return {
          payload: { ...payload, payload: { ...payload.payload, signature: flipped } },
          requirements,
        };
      },
      'invalid_signature',
    ],
    [
      'a changed amount that matches changed requirements',
      () => ({
        payload: withAuthorization(payload, { value: '20000' }),
        requirements: { ...requirements, amount: '20000' },
      }),
      'invalid_signature',
    ],
    [
      'the high-s twin of a valid signature',
      () => {
        const { r, s, yParity } = parseSignature(payload.payload.signature as Hex);
        const twin = serializeSignature({
          r,
          s: `0x${(SECP256K1_N - BigInt(s)).toString(16).padStart(64, '0')}`,
          yParity: yParity === 0 ? 1 : 0,
        });
        return {
          payload: { ...payload, payload: { ...payload.payload, signature: twin } },
          requirements,
        };
      },
      'invalid_signature',
    ],
    [
      'a signature whose v is written as 0/1',
      () => {
        const signature = payload.payload.signature as string;
        const yParity = signature.endsWith('1b') ? '00' : '01';
        const signature01 = `${signature.slice(0, -2)}${yParity}`;
        return {
          payload: { ...payload, payload: { ...payload.payload, signature: signature01 } },
          requirements,
        };
      },
      'invalid_signature',
    ],
    [
      'a payload without a signature',
      () => ({
        payload: { ...payload, payload: { authorization: payload.payload.authorization } },
        requirements,
      }),
      'malformed',
    ],
  ];

  it.each(tamperings)(
    'refuses %s locally and in the local facilitator',
    async (_, make, reason) => {
      const { payload: tampered, requirements: required, now } = make();

      await expect(verifyPaymentLocally(tampered, required, now)).rejects.toMatchObject(
        invalid(reason),
      );
      const facilitator = createLocalFacilitator({
        networks: [required.network],
        ...(now && { now: () => now }),
      });
      expect(await facilitator.verify(tampered, required)).toMatchObject({
        isValid: false,
        invalidReason: reason,
      });
      expect(await facilitator.settle(tampered, required)).toMatchObject({
        success: false,
        errorReason: reason,
        transaction: '',
      });
    },
  );
});
