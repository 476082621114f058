import type { x402HTTPClient } from '@x402/core/client';
import type { HTTPFacilitatorClient } from '@x402/core/http';
import { createPublicClient, type Hex, http } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildPaymentRequirements,
  buildTemplatePaymentRequired,
  createHttpFacilitator,
  decodePaymentSignature,
  facilitatorRefusalError,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentRequirements,
  type PricedTemplate,
  type RequirementOptions,
  verifyPaymentLocally,
} from '../../src/payments/index.ts';
import { type LocalChain, startLocalChain } from '../support/evm/chain.ts';
import {
  type FacilitatorServer,
  startFacilitatorServer,
} from '../support/evm/facilitator-server.ts';
import { createStockClient, signPayment } from '../support/evm/stock-client.ts';

const RESOURCE_URL = 'https://promptmeter.test/graphql';

describe('settling on a local chain through the official @x402/evm facilitator', () => {
  let chain: LocalChain;
  let server: FacilitatorServer;
  let facilitator: HTTPFacilitatorClient;
  let client: x402HTTPClient;
  let template: PricedTemplate;
  let options: RequirementOptions;
  let paymentRequired: PaymentRequired;
  let requirements: PaymentRequirements;

  beforeAll(async () => {
    chain = await startLocalChain();
    server = await startFacilitatorServer(chain);
    facilitator = createHttpFacilitator(server.url, { timeoutMs: 10_000 });
    client = createStockClient(chain.payer, [
      { network: chain.network, asset: chain.token.address },
    ]);
    template = {
      id: 'tpl_chain',
      name: 'Translate',
      description: 'Translate a text',
      priceUsdc: '0.25',
      payTo: chain.payee,
      network: chain.network,
    };
    options = { asset: chain.token, maxTimeoutSeconds: 120 };
    paymentRequired = buildTemplatePaymentRequired(template, RESOURCE_URL, options);
    requirements = paymentRequired.accepts[0] as PaymentRequirements;
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await chain?.stop();
  });

  it('advertises the exact scheme on the local network', async () => {
    const supported = await facilitator.getSupported();

    expect(supported.kinds).toEqual([{ x402Version: 2, scheme: 'exact', network: chain.network }]);
    expect(supported.signers['eip155:*']).toEqual([chain.facilitatorAccount.address]);
  });

  it('verifies, settles for real once, and refuses the replay', async () => {
    const { header } = await signPayment(client, paymentRequired);
    const payload = decodePaymentSignature(header, paymentRequired);
    const payment = await verifyPaymentLocally(payload, requirements, new Date(), paymentRequired);
    const payerBefore = await chain.balanceOf(chain.payer.address);
    const payeeBefore = await chain.balanceOf(chain.payee);

    expect(await facilitator.verify(payload, requirements)).toMatchObject({
      isValid: true,
      payer: chain.payer.address,
    });
    const settled = await facilitator.settle(payload, requirements);

    expect(settled).toMatchObject({ success: true, network: chain.network, payer: payment.payer });
    expect(settled.transaction).toMatch(/^0x[0-9a-f]{64}$/);
    const receipt = await createPublicClient({
      transport: http(chain.rpcUrl),
    }).getTransactionReceipt({ hash: settled.transaction as Hex });
    expect(receipt.status).toBe('success');
    expect(payerBefore - (await chain.balanceOf(chain.payer.address))).toBe(250_000n);
    expect((await chain.balanceOf(chain.payee)) - payeeBefore).toBe(250_000n);
    expect(await chain.authorizationUsed(payment.payer, payment.nonce)).toBe(true);

    const replayed = await facilitator.settle(payload, requirements);
    expect(replayed).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_evm_nonce_already_used',
    });
    expect(facilitatorRefusalError(replayed.errorReason).extensions.code).toBe(
      'PAYMENT_ALREADY_USED',
    );
    expect(await facilitator.verify(payload, requirements)).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_evm_nonce_already_used',
    });
    expect((await chain.balanceOf(chain.payee)) - payeeBefore).toBe(250_000n);
  });

  it('refuses tampered payments with reasons that map onto ours', async () => {
    const { payload } = await signPayment(client, paymentRequired);
    const signature = payload.payload.signature as string;
    const flipped = `${signature.slice(0, 10)}${signature[10] === '0' ? '1' : '0'}${signature.slice(11)}`;
    const cases: [PaymentPayload, PaymentRequirements, string][] = [
      [
        payload,
        buildPaymentRequirements({ ...template, priceUsdc: '0.30' }, options),
        'amount_mismatch',
      ],
      [
        payload,
        { ...requirements, payTo: privateKeyToAccount(generatePrivateKey()).address },
        'payee_mismatch',
      ],
      [
        { ...payload, payload: { ...payload.payload, signature: flipped } },
        requirements,
        'invalid_signature',
      ],
    ];

    for (const [tampered, required, reason] of cases) {
      const verified = await facilitator.verify(tampered, required);
      expect(verified.isValid).toBe(false);
      expect(facilitatorRefusalError(verified.invalidReason).extensions).toMatchObject({
        code: 'PAYMENT_INVALID',
        reason,
      });
    }
  });
});
