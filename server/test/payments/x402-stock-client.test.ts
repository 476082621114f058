import { decodePaymentSignatureHeader } from '@x402/core/http';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalFacilitator,
  decodePaymentSignature,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentRequirements,
  verifyPaymentLocally,
} from '../../src/payments/index.ts';
import { BASE_SEPOLIA_USDC, invalid, payer, stockPayment, stranger } from './x402-support.ts';

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

describe('a payment signed by the stock x402 client', () => {
  let paymentRequired: PaymentRequired;
  let requirements: PaymentRequirements;
  let payload: PaymentPayload;
  let header: string;

  beforeAll(async () => {
    ({ paymentRequired, requirements, payload, header } = await stockPayment());
  });

  it('decodes and verifies locally', async () => {
    const decoded = decodePaymentSignature(header);
    expect(decoded).toEqual(payload);

    const payment = await verifyPaymentLocally(decoded, requirements);
    const authorization = payload.payload.authorization as { nonce: string; validBefore: string };
    expect(payment).toEqual({
      payer: payer.address,
      nonce: authorization.nonce.toLowerCase(),
      asset: BASE_SEPOLIA_USDC,
      network: 'eip155:84532',
      amount: '10000',
      signature: (payload.payload.signature as string).toLowerCase(),
      validBefore: new Date(Number(authorization.validBefore) * 1000),
    });
  });

  it('is accepted and settled (simulated) by the local facilitator, once', async () => {
    const facilitator = createLocalFacilitator();

    expect(facilitator.simulated).toBe(true);
    expect(facilitator.description).toMatch(/SIMULATED.*no money moves/s);
    expect(await facilitator.getSupported()).toEqual({
      kinds: [{ x402Version: 2, scheme: 'exact', network: 'eip155:84532' }],
      extensions: [],
      signers: {},
    });
    expect(await facilitator.verify(payload, requirements)).toEqual({
      isValid: true,
      payer: payer.address,
    });

    const settled = await facilitator.settle(payload, requirements);
    expect(settled).toMatchObject({
      success: true,
      payer: payer.address,
      network: 'eip155:84532',
      amount: '10000',
      extra: { simulated: true },
    });
    expect(settled.transaction).toMatch(/^simulated:0x[0-9a-f]{64}$/);

    const replayed = await facilitator.settle(payload, requirements);
    expect(replayed).toMatchObject({ success: false, errorReason: 'nonce_already_used' });
    expect(await facilitator.verify(payload, requirements)).toMatchObject({
      isValid: false,
      invalidReason: 'nonce_already_used',
    });
  });

  it('attaches the retry header when the requirements are given', async () => {
    const error = await verifyPaymentLocally(
      payload,
      { ...requirements, payTo: stranger },
      new Date(),
      paymentRequired,
    ).catch((caught: unknown) => caught);

    expect(error).toMatchObject({
      extensions: {
        reason: 'payee_mismatch',
        http: { status: 402 },
        x402: { error: 'payee_mismatch' },
      },
    });
  });

  it('the local facilitator refuses networks it does not serve', async () => {
    const facilitator = createLocalFacilitator({ networks: ['eip155:8453'] });

    expect(await facilitator.verify(payload, requirements)).toMatchObject({
      isValid: false,
      invalidReason: 'network_mismatch',
    });
  });

  it.each([
    ['not base64', '%%%not-base64%%%'],
    ['base64 of non-JSON', base64('not json')],
    ['base64 of JSON that is no payload', base64('{"hello":"world"}')],
    [
      'an x402 v1 payload',
      base64(JSON.stringify({ x402Version: 1, scheme: 'exact', network: 'base', payload: {} })),
    ],
    ['empty', ''],
    ['too long', 'A'.repeat(20_000)],
  ])('refuses a malformed header: %s', (_, encoded) => {
    const error = errorOf(() => decodePaymentSignature(encoded));

    expect(error).toMatchObject(invalid('malformed'));
    if (encoded) expect((error as Error).message).not.toContain(encoded);
  });

  it('refuses a decodable payload whose authorization is not an EIP-3009 one', () => {
    const decoded = decodePaymentSignatureHeader(header);
    const broken = { ...decoded, payload: { ...decoded.payload, authorization: { from: 'me' } } };

    expect(errorOf(() => decodePaymentSignature(base64(JSON.stringify(broken))))).toMatchObject(
      invalid('malformed'),
    );
  });
});
