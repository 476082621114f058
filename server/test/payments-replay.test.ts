import type { x402HTTPClient } from '@x402/core/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  expectAlreadyUsed,
  newAccount,
  type PaidApp,
  startPaidApp,
} from './support/evm/paid-app.ts';
import { createStockClient, signPayment } from './support/evm/stock-client.ts';
import { createTemplate } from './support/operations.ts';

// Done-when 4 (replay): a payment pays for at most one run, however often or however
// concurrently it is sent; the reservation, not verification, is what guarantees it.
describe('replaying a payment', () => {
  let app: PaidApp;
  let caller: string;
  let templateId: string;
  let payer: ReturnType<typeof newAccount>;
  let client: x402HTTPClient;

  beforeAll(async () => {
    app = await startPaidApp({ facilitatorTimeoutMs: 300 });
    const owner = await app.token('oren');
    caller = await app.token('cass');
    templateId = await createTemplate(app, owner, {
      priceUsdc: '0.5',
      payTo: newAccount().address,
    });
  });
  afterAll(() => app?.close());
  beforeEach(() => {
    app.spy.verifyWith = null;
    app.spy.settleWith = null;
    payer = newAccount();
    client = createStockClient(payer);
  });

  const pay = async () => (await signPayment(client, await app.quote(templateId))).header;
  const logRows = () => app.payerRows(payer.address);

  it('refuses a sequential replay with PAYMENT_ALREADY_USED and no second model call', async () => {
    const header = await pay();
    const first = await app.runPaid(templateId, header, caller);
    expect(first.data?.executeTemplate.execution).toMatchObject({
      status: 'SUCCESS',
      amountPaid: '0.5',
    });
    const calls = app.modelServer.requests.length;

    expectAlreadyUsed(await app.runPaid(templateId, header, caller));
    expectAlreadyUsed(await app.runPaid(templateId, header)); // nor anonymously
    expect(app.modelServer.requests.length).toBe(calls);
    expect(await logRows()).toHaveLength(1);
    expect(await app.reservations(payer.address)).toMatchObject([
      { state: 'settled', attempts: 1 },
    ]);
  });

  it('gives ten identical payments sent at once exactly one model call, one row, one settlement', async () => {
    const header = await pay();
    const [calls, settles] = [app.modelServer.requests.length, app.spy.settles];
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => app.runPaid(templateId, header, caller)),
    );

    const codes = runs.map((run) => run.errors?.[0]?.extensions?.code ?? 'OK').sort();
    expect(codes).toEqual(['OK', ...Array(9).fill('PAYMENT_ALREADY_USED')]);
    expect(app.modelServer.requests.length).toBe(calls + 1);
    expect(app.spy.settles).toBe(settles + 1);
    expect(await logRows()).toMatchObject([{ status: 'success', amount_paid: '0.500000' }]);
  });

  it('refuses with PAYMENT_FAILED when the facilitator cannot verify, keeping the payment usable', async () => {
    app.spy.verifyWith = () => Promise.reject(new Error('connect ECONNREFUSED'));
    const header = await pay();
    const calls = app.modelServer.requests.length;
    const run = await app.runPaid(templateId, header, caller);
    expect(run.errors?.[0]?.extensions).toMatchObject({
      code: 'PAYMENT_FAILED',
      reason: 'facilitator_unavailable',
    });
    expect(JSON.stringify(run.errors)).not.toContain('ECONNREFUSED');
    expect(app.modelServer.requests.length).toBe(calls);
    expect(await logRows()).toEqual([]);
    expect(await app.reservations(payer.address)).toEqual([]);

    app.spy.verifyWith = null;
    const retried = await app.runPaid(templateId, header, caller);
    expect(retried.data?.executeTemplate.execution).toMatchObject({
      status: 'SUCCESS',
      amountPaid: '0.5',
    });
  });
});
