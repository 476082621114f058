import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTPFacilitatorClient } from '@x402/core/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainReader } from '../../src/payments/chain-reader.ts';
import { createReconciler } from '../../src/payments/reconcile.ts';
import { type LocalChain, startLocalChain } from '../support/evm/chain.ts';
import {
  type FacilitatorServer,
  startFacilitatorServer,
} from '../support/evm/facilitator-server.ts';
import { dbId, type PaidApp, payingFetch, startPaidApp } from '../support/evm/paid-app.ts';
import { createTemplate } from '../support/operations.ts';

// The ledger never misses a charge: a settlement whose answer was lost (the facilitator settled
// on chain, then the connection broke) leaves the run failed and free and its reservation
// `settle_unknown`; reconciliation asks the token contract and completes the run as a success
// with its amount and transaction — or, for an authorization that expired unused, says so.
describe('reconciling settlements whose outcome was lost', () => {
  let chain: LocalChain;
  let facilitatorServer: FacilitatorServer;
  let app: PaidApp;
  let templateId: string;
  let facilitator: HTTPFacilitatorClient;
  const published: { id: string; templateId: string }[] = [];
  const reports: string[] = [];

  beforeAll(async () => {
    chain = await startLocalChain();
    facilitatorServer = await startFacilitatorServer(chain);
    facilitator = new HTTPFacilitatorClient({ url: facilitatorServer.url });
    app = await startPaidApp({
      facilitator,
      assets: { [chain.network]: chain.token },
    });
    const owner = await app.token('reconcile-owner');
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

  const reconciler = (withChain: boolean) =>
    createReconciler(app.db, {
      chain: withChain ? createChainReader(chain.rpcUrl) : null,
      minAgeMs: 0,
      published: (event) => published.push(event),
      report: (message) => reports.push(message),
    });

  /** A paid run by a stock client whose settlement answer is lost; `settle`: on chain first. */
  async function runWithLostAnswer(settle: boolean) {
    app.spy.settleWith = async (payload, requirements) => {
      if (settle) await facilitator.settle(payload, requirements);
      throw new Error('socket hang up');
    };
    const pay = payingFetch(chain.payer, [{ network: chain.network, asset: chain.token.address }]);
    const response = await pay(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          'mutation($input: ExecuteTemplateInput!) { executeTemplate(input: $input) { output } }',
        variables: { input: { templateId, variables: { topic: 'ledgers' } } },
      }),
    });
    app.spy.settleWith = null;
    return (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
  }

  const ledger = async () =>
    app.db.query<Record<string, string>>(
      `SELECT l.id, l.status, l.amount_paid::text AS amount_paid, l.payment_transaction, r.state,
              r.settlement_transaction
       FROM x402_prompt_template_usage_logs l JOIN x402_payment_reservations r ON r.usage_log_id = l.id
       WHERE l.template_id = $1 ORDER BY l.created_at DESC LIMIT 1`,
      [dbId(templateId)],
    );

  it('completes a run charged on chain as a success with its amount and transaction', async () => {
    const payerBefore = await chain.balanceOf(chain.payer.address);
    const result = await runWithLostAnswer(true);
    expect(result.errors?.[0]?.extensions?.code).toBe('PAYMENT_FAILED');
    expect(await chain.balanceOf(chain.payer.address)).toBe(payerBefore - 250_000n);
    const [before] = await ledger();
    expect(before).toMatchObject({
      status: 'failed',
      amount_paid: '0.000000',
      state: 'settle_unknown',
    });

    // Without a chain to ask, it is listed for an operator, once.
    expect(await reconciler(false)()).toMatchObject({ undecided: 1 });
    expect(reports.filter((line) => line.startsWith('UNRECONCILED'))).toHaveLength(1);

    expect(await reconciler(true)()).toMatchObject({ settled: 1 });
    const [after] = await ledger();
    expect(after).toMatchObject({ status: 'success', amount_paid: '0.250000', state: 'settled' });
    expect(after?.payment_transaction).toMatch(/^0x[0-9a-f]{64}$/);
    expect(after?.settlement_transaction).toBe(after?.payment_transaction);
    expect(published).toContainEqual({ id: after?.id, templateId: dbId(templateId) });
    // Done: nothing left to reconcile.
    expect(await reconciler(true)()).toEqual({ settled: 0, unused: 0, undecided: 0 });
  });

  it('records an authorization that expired unused as never charged, and leaves a valid one be', async () => {
    const payerBefore = await chain.balanceOf(chain.payer.address);
    await runWithLostAnswer(false);
    expect(await chain.balanceOf(chain.payer.address)).toBe(payerBefore);
    // Still valid: a broadcast transaction could yet be mined, so nothing is decided.
    expect(await reconciler(true)()).toMatchObject({ undecided: 1 });

    const [open] = await ledger();
    await app.db.query(
      `UPDATE x402_payment_reservations SET valid_before = now() - interval '1 second' WHERE usage_log_id = $1`,
      [open?.id],
    );
    expect(await reconciler(true)()).toMatchObject({ unused: 1 });
    expect((await ledger())[0]).toMatchObject({
      status: 'failed',
      amount_paid: '0.000000',
      state: 'settle_failed',
    });
  });

  it("asks the chain's id again after the RPC failed to answer it, rather than failing from then on", async () => {
    // The RPC answers 503 until told otherwise (an outage at start-up), then passes requests on.
    let down = true;
    const rpc = createServer(async (request, response) => {
      if (down) return response.writeHead(503).end('unavailable');
      const body: Buffer[] = [];
      for await (const chunk of request) body.push(chunk as Buffer);
      const answer = await fetch(chain.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.concat(body),
      });
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(await answer.text());
    });
    await new Promise<void>((resolve) => rpc.listen(0, '127.0.0.1', resolve));
    try {
      const reader = createChainReader(`http://127.0.0.1:${(rpc.address() as AddressInfo).port}`);
      await expect(reader.network()).rejects.toThrow();
      down = false;
      expect(await reader.network()).toBe(chain.network);
    } finally {
      await new Promise((resolve) => rpc.close(resolve));
    }
  });
});
