import { decodePaymentRequiredHeader, decodePaymentSignatureHeader } from '@x402/core/http';
import { isPaymentRequiredV2 } from '@x402/core/schemas';
import { wrapFetchWithPayment } from '@x402/fetch';
import { GraphQLError } from 'graphql';
import { type Hex, parseSignature, serializeSignature } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildPaymentRequired,
  buildPaymentRequirements,
  buildTemplatePaymentRequired,
  createLocalFacilitator,
  decodePaymentSignature,
  facilitatorRefusalError,
  type PaymentInvalidReason,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentRequirements,
  type PricedTemplate,
  paymentInvalidError,
  paymentRequiredError,
  priceToAtomicUnits,
  verifyPaymentLocally,
} from '../../src/payments/index.ts';
import { createStockClient, signPayment } from '../support/evm/stock-client.ts';

const BASE_SEPOLIA_USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
const RESOURCE_URL = 'https://promptmeter.test/graphql';
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const payer = privateKeyToAccount(generatePrivateKey());
const payTo = privateKeyToAccount(generatePrivateKey()).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;

const template: PricedTemplate = {
  id: 'tpl_1',
  name: 'Summarize',
  description: 'Summarize a document',
  priceUsdc: '0.010000',
  payTo,
  network: 'eip155:84532',
};

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function invalid(reason: PaymentInvalidReason) {
  return { extensions: { code: 'PAYMENT_INVALID', reason } };
}

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

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

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

describe('a payment signed by the stock x402 client', () => {
  const client = createStockClient(payer);
  const paymentRequired = buildTemplatePaymentRequired(template, RESOURCE_URL);
  const requirements = paymentRequired.accepts[0] as PaymentRequirements;
  let payload: PaymentPayload;
  let header: string;

  beforeAll(async () => {
    ({ payload, header } = await signPayment(client, paymentRequired));
  });

  it('decodes and verifies locally', async () => {
    const decoded = decodePaymentSignature(header);
    expect(decoded).toEqual(payload);

    const payment = await verifyPaymentLocally(decoded, requirements);
    const authorization = payload.payload.authorization as { nonce: string };
    expect(payment).toEqual({
      payer: payer.address,
      nonce: authorization.nonce.toLowerCase(),
      asset: BASE_SEPOLIA_USDC,
      network: 'eip155:84532',
      amount: '10000',
      signature: (payload.payload.signature as string).toLowerCase(),
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

describe('an unmodified @x402/fetch client against a 402 GraphQL error', () => {
  it('reads PAYMENT-REQUIRED, pays, and retries with a PAYMENT-SIGNATURE we accept', async () => {
    const paymentRequired: PaymentRequired = buildTemplatePaymentRequired(template, RESOURCE_URL);
    const requirements = paymentRequired.accepts[0] as PaymentRequirements;
    const signatures: string[] = [];
    // What graphql-yoga sends for a result whose error carries extensions.http.
    const yogaLike = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const signature = request.headers.get('PAYMENT-SIGNATURE');
      if (!signature) {
        const error = paymentRequiredError(paymentRequired);
        const http = error.extensions.http as { status: number; headers: Record<string, string> };
        return new Response(JSON.stringify({ errors: [error.toJSON()] }), {
          status: http.status,
          headers: { 'content-type': 'application/json', ...http.headers },
        });
      }
      signatures.push(signature);
      return Response.json({ data: { runTemplate: { ok: true } } });
    };
    const payingFetch = wrapFetchWithPayment(yogaLike, createStockClient(payer));

    const response = await payingFetch(RESOURCE_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ runTemplate { ok } }' }),
    });

    expect(response.status).toBe(200);
    expect(signatures).toHaveLength(1);
    const payload = decodePaymentSignature(signatures[0] ?? '');
    await expect(verifyPaymentLocally(payload, requirements)).resolves.toMatchObject({
      payer: payer.address,
      amount: '10000',
    });
  });

  it('does not pay when the 402 has no PAYMENT-REQUIRED header (v2 requirements in a JSON body are ignored)', async () => {
    const paymentRequired = buildTemplatePaymentRequired(template, RESOURCE_URL);
    const bodyOnly = async () =>
      Response.json({ errors: [{ extensions: { x402: paymentRequired } }] }, { status: 402 });
    const payingFetch = wrapFetchWithPayment(bodyOnly, createStockClient(payer));

    await expect(payingFetch(RESOURCE_URL)).rejects.toThrow(/Failed to parse payment requirements/);
  });
});
