import { decodePaymentRequiredHeader } from '@x402/core/http';
import { isPaymentRequiredV2 } from '@x402/core/schemas';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  buildPaymentRequired,
  buildPaymentRequirements,
  buildTemplatePaymentRequired,
  facilitatorRefusalError,
  paymentInvalidError,
  paymentRequiredError,
  priceToAtomicUnits,
} from '../../src/payments/index.ts';
import {
  BASE_SEPOLIA_USDC,
  invalid,
  payTo,
  RESOURCE_URL,
  stranger,
  template,
} from './x402-support.ts';

describe('payment requirements', () => {
  it.each([
    ['0.01', '10000'],
    ['0.010000', '10000'],
    ['1.234567', '1234567'],
    ['0.000001', '1'],
    ['12', '12000000'],
    ['1000000.5', '1000000500000'],
  ])('converts %s USDC to %s atomic units', (price, atomic) => {
    expect(priceToAtomicUnits(price)).toBe(atomic);
  });

  it.each(['0.0000001', '1.2345678', '1e-6', '-1', '', ' 1', '0.1.2', '$1', '.5', '0', '0.000000'])(
    'rejects the price %j',
    (price) => {
      expect(() => priceToAtomicUnits(price)).toThrow(RangeError);
    },
  );

  it('builds exact-scheme requirements in the network USDC known to @x402/evm', () => {
    const requirements = buildPaymentRequirements({ ...template, payTo: payTo.toLowerCase() });

    expect(requirements).toEqual({
      scheme: 'exact',
      network: 'eip155:84532',
      asset: BASE_SEPOLIA_USDC,
      amount: '10000',
      payTo,
      maxTimeoutSeconds: 300,
      extra: { name: 'USDC', version: '2' },
    });
  });

  it('takes a local token, its EIP-712 domain and a timeout as overrides', () => {
    const asset = { address: stranger, name: 'USD Coin', version: '2' };
    const requirements = buildPaymentRequirements(
      { ...template, network: 'eip155:31337' },
      { asset, maxTimeoutSeconds: 60 },
    );

    expect(requirements).toMatchObject({
      network: 'eip155:31337',
      asset: stranger,
      maxTimeoutSeconds: 60,
      extra: { name: 'USD Coin', version: '2' },
    });
  });

  it('refuses networks without a known USDC, non-EVM networks and bad payees', () => {
    expect(() => buildPaymentRequirements({ ...template, network: 'eip155:31337' })).toThrow();
    expect(() => buildPaymentRequirements({ ...template, network: 'solana:devnet' })).toThrow(
      RangeError,
    );
    expect(() => buildPaymentRequirements({ ...template, payTo: '0x1234' })).toThrow(RangeError);
  });

  it('builds an x402 v2 PaymentRequired', () => {
    const requirements = buildPaymentRequirements(template);
    const paymentRequired = buildPaymentRequired([requirements], { url: RESOURCE_URL }, 'nope');

    expect(paymentRequired).toEqual({
      x402Version: 2,
      error: 'nope',
      resource: { url: RESOURCE_URL },
      accepts: [requirements],
    });
    expect(isPaymentRequiredV2(paymentRequired)).toBe(true);
    expect(isPaymentRequiredV2(buildTemplatePaymentRequired(template, RESOURCE_URL))).toBe(true);
  });
});

describe('payment errors', () => {
  const paymentRequired = buildTemplatePaymentRequired(template, RESOURCE_URL);

  it('PAYMENT_REQUIRED carries the requirements and an HTTP 402 with the PAYMENT-REQUIRED header', () => {
    const error = paymentRequiredError(paymentRequired);

    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.extensions).toMatchObject({
      code: 'PAYMENT_REQUIRED',
      x402: paymentRequired,
      http: { status: 402 },
    });
    const http = error.extensions.http as { headers: Record<string, string> };
    expect(decodePaymentRequiredHeader(http.headers['PAYMENT-REQUIRED'] ?? '')).toEqual(
      paymentRequired,
    );
  });

  it('PAYMENT_INVALID names the reason and invites a retry with fresh requirements', () => {
    const error = paymentInvalidError('expired', paymentRequired);
    const http = error.extensions.http as { status: number; headers: Record<string, string> };

    expect(error).toMatchObject(invalid('expired'));
    expect(http.status).toBe(402);
    expect(decodePaymentRequiredHeader(http.headers['PAYMENT-REQUIRED'] ?? '')).toEqual({
      ...paymentRequired,
      error: 'expired',
    });
  });

  it.each([
    ['invalid_exact_evm_signature', { code: 'PAYMENT_INVALID', reason: 'invalid_signature' }],
    ['invalid_exact_evm_recipient_mismatch', { code: 'PAYMENT_INVALID', reason: 'payee_mismatch' }],
    [
      'invalid_exact_evm_payload_authorization_value_mismatch',
      { code: 'PAYMENT_INVALID', reason: 'amount_mismatch' },
    ],
    ['amount_mismatch', { code: 'PAYMENT_INVALID', reason: 'amount_mismatch' }],
    ['invalid_exact_evm_nonce_already_used', { code: 'PAYMENT_ALREADY_USED' }],
    ['nonce_already_used', { code: 'PAYMENT_ALREADY_USED' }],
    [
      'invalid_exact_evm_insufficient_balance',
      { code: 'PAYMENT_FAILED', reason: 'invalid_exact_evm_insufficient_balance' },
    ],
  ])('maps the facilitator refusal %s', (reason, extensions) => {
    expect(facilitatorRefusalError(reason).extensions).toMatchObject(extensions);
  });
});
