import { decodePaymentResponseHeader, decodePaymentSignatureHeader } from '@x402/core/http';
import { createPublicClient, type Hex, http } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentGate } from '../../src/payments/index.ts';
import { type LocalChain, startLocalChain } from '../support/evm/chain.ts';
import {
  type FacilitatorServer,
  startFacilitatorServer,
} from '../support/evm/facilitator-server.ts';
import { PAID_EXECUTE, type PaidApp, payingFetch, startPaidApp } from '../support/evm/paid-app.ts';
import { createTemplate } from '../support/operations.ts';

// Done-when 2: real settlement, offline. A hardhat chain with an EIP-3009 USDC compiled by solc,
// the official @x402/evm facilitator over loopback HTTP as the server's facilitator, and a stock
// @x402/fetch buyer: one paid run moves exactly the price from payer to payee, once.
describe('a paid run settled on a local chain by the official facilitator', () => {
  let chain: LocalChain;
  let facilitatorServer: FacilitatorServer;
  let app: PaidApp;
  let templateId: string;

  beforeAll(async () => {
    chain = await startLocalChain();
    facilitatorServer = await startFacilitatorServer(chain);
    // What the server builds when X402_FACILITATOR_URL is set (the token is the chain's own).
    const settings = {
      facilitatorUrl: facilitatorServer.url,
      facilitatorTimeoutMs: 10_000,
      modelTimeoutMs: 60_000,
      assets: { [chain.network]: chain.token },
    };
    app = await startPaidApp({ payments: (db) => createPaymentGate(settings, db.prisma) });
    const owner = await app.token('onchain-owner');
    templateId = await createTemplate(app, owner, {
      priceUsdc: '0.25',
      payTo: chain.payee,
      network: chain.network,
    });
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await facilitatorServer?.stop();
    await chain?.stop();
  });

  it('moves exactly the price, uses the nonce on chain, and records the transaction', async () => {
    const signatures: string[] = [];
    const recording: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const signature = request.headers.get('PAYMENT-SIGNATURE');
      if (signature) signatures.push(signature);
      return fetch(request);
    };
    // The local token is no network's default USDC: a stock client must opt in to it.
    const allowed = [{ network: chain.network, asset: chain.token.address }];
    const pay = payingFetch(chain.payer, allowed, recording);
    const payerBefore = await chain.balanceOf(chain.payer.address);
    const payeeBefore = await chain.balanceOf(chain.payee);

    const response = await pay(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: PAID_EXECUTE,
        variables: { input: { templateId, variables: { topic: 'ledgers' } } },
      }),
    });
    const { data, errors } = await response.json();

    expect(errors).toBeUndefined();
    const execution = data.executeTemplate.execution;
    expect(execution).toMatchObject({
      status: 'SUCCESS',
      amountPaid: '0.25',
      network: chain.network,
    });
    expect(chain.payer.address).toBe(execution.payerAddress);
    expect(payerBefore - (await chain.balanceOf(chain.payer.address))).toBe(250_000n);
    expect((await chain.balanceOf(chain.payee)) - payeeBefore).toBe(250_000n);

    const receipt = decodePaymentResponseHeader(response.headers.get('PAYMENT-RESPONSE') ?? '');
    expect(receipt).toMatchObject({ success: true, network: chain.network });
    expect(execution.paymentTransaction).toBe(receipt.transaction);
    const onChain = await createPublicClient({
      transport: http(chain.rpcUrl),
    }).getTransactionReceipt({
      hash: execution.paymentTransaction as Hex,
    });
    expect(onChain.status).toBe('success');

    expect(signatures).toHaveLength(1);
    const { authorization } = decodePaymentSignatureHeader(signatures[0] as string).payload as {
      authorization: { nonce: Hex };
    };
    expect(await chain.authorizationUsed(chain.payer.address, authorization.nonce)).toBe(true);
    expect(await app.reservations(chain.payer.address)).toMatchObject([{ state: 'settled' }]);

    // The replay is refused, and nothing moves again.
    const replay = await app.runPaid(templateId, signatures[0] as string);
    expect(replay.errors?.[0]?.extensions?.code).toBe('PAYMENT_ALREADY_USED');
    expect((await chain.balanceOf(chain.payee)) - payeeBefore).toBe(250_000n);
    expect(app.services.payments.description).toBe(
      `x402, settled by the facilitator at ${facilitatorServer.url}`,
    );
  });
});
