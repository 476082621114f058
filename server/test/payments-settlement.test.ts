import type { x402HTTPClient } from '@x402/core/client';
import { decodePaymentResponseHeader } from '@x402/core/http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  dbId,
  expectAlreadyUsed,
  newAccount,
  type PaidApp,
  startPaidApp,
} from './support/evm/paid-app.ts';
import { createStockClient, signPayment } from './support/evm/stock-client.ts';
import { createTemplate } from './support/operations.ts';

// Done-when 4 (settlement): a payment is settled at most once and only after a successful run:
// a failing model costs nothing, a refused or silent settlement withholds the output.
describe('settling a paid run', () => {
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

  it('does not charge for a failed model run, and lets the unsettled payment pay for a retry', async () => {
    const header = await pay();
    const settles = app.spy.settles;
    app.modelServer.enqueue({ kind: 'error', status: 529 });
    const failed = await app.runPaid(templateId, header, caller);
    expect(failed.data?.executeTemplate.execution).toMatchObject({
      status: 'FAILED',
      amountPaid: '0',
      paymentSignature: null,
      paymentTransaction: null,
      payerAddress: payer.address,
    });
    expect(failed.headers.get('PAYMENT-RESPONSE')).toBeNull();
    expect(app.spy.settles).toBe(settles);
    expect(await app.reservations(payer.address)).toMatchObject([{ state: 'released' }]);

    // The authorization was never settled, so it may pay for one new run — once.
    const retried = await app.runPaid(templateId, header, caller);
    expect(retried.data?.executeTemplate.execution).toMatchObject({
      status: 'SUCCESS',
      amountPaid: '0.5',
    });
    expect(app.spy.settles).toBe(settles + 1);
    expectAlreadyUsed(await app.runPaid(templateId, header, caller));
    const [reservation] = await app.reservations(payer.address);
    expect(reservation).toMatchObject({ state: 'settled', attempts: 2 });
    expect(reservation?.usage_log_id).toBe(dbId(retried.data?.executeTemplate.execution.id));
    expect((await logRows()).map((row) => row.amount_paid).sort()).toEqual([
      '0.000000',
      '0.500000',
    ]);
  });

  it('withholds the output when settlement is refused: PAYMENT_FAILED, one FAILED row with the tokens', async () => {
    app.spy.settleWith = async () => ({
      success: false,
      errorReason: 'invalid_exact_evm_insufficient_balance',
      transaction: '',
      network: 'eip155:84532',
    });
    app.modelServer.enqueue({
      kind: 'text',
      text: 'a secret answer',
      inputTokens: 11,
      outputTokens: 3,
    });
    const header = await pay();
    const run = await app.runPaid(templateId, header, caller);

    expect(run.status).toBe(402);
    expect(run.data).toBeNull();
    expect(JSON.stringify(run)).not.toContain('a secret answer');
    expect(run.errors?.[0]?.extensions).toMatchObject({
      code: 'PAYMENT_FAILED',
      reason: 'invalid_exact_evm_insufficient_balance',
    });
    expect(decodePaymentResponseHeader(run.headers.get('PAYMENT-RESPONSE') ?? '')).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_evm_insufficient_balance',
    });
    expect(await logRows()).toEqual([
      {
        status: 'failed',
        error_message: expect.stringContaining('invalid_exact_evm_insufficient_balance'),
        input_tokens: 11,
        output_tokens: 3,
        amount_paid: '0.000000',
        payment_signature: null,
        payment_transaction: null,
      },
    ]);
    expect(await app.reservations(payer.address)).toMatchObject([{ state: 'settle_failed' }]);
    // A refused settlement is final for this authorization: sign a new one. The reservation is
    // keyed on the authorization, not its encoding: a re-cased twin is the same payment.
    const calls = app.modelServer.requests.length;
    expectAlreadyUsed(await app.runPaid(templateId, header, caller));
    expectAlreadyUsed(await app.runPaid(templateId, recased(header), caller));
    expect(app.modelServer.requests.length).toBe(calls);
  });

  it.each([
    ['no answer in time', () => new Promise<never>(() => {})],
    [
      'a broadcast transaction without a receipt',
      async () => ({
        success: false,
        errorReason: 'settlement_pending',
        transaction: `0x${'ab'.repeat(32)}`,
        network: 'eip155:84532' as const,
      }),
    ],
  ])('records a settlement with %s as unknown and never settles it again', async (_, settle) => {
    app.spy.settleWith = settle;
    const header = await pay();
    const settles = app.spy.settles;
    const run = await app.runPaid(templateId, header, caller);

    expect(run.data).toBeNull();
    expect(run.errors?.[0]?.extensions).toMatchObject({
      code: 'PAYMENT_FAILED',
      reason: 'settlement_unknown',
    });
    expect(await logRows()).toMatchObject([
      {
        status: 'failed',
        error_message: expect.stringMatching(/outcome unknown/),
        amount_paid: '0.000000',
      },
    ]);
    expect(await app.reservations(payer.address)).toMatchObject([{ state: 'settle_unknown' }]);

    app.spy.settleWith = null;
    expectAlreadyUsed(await app.runPaid(templateId, header, caller));
    expect(app.spy.settles).toBe(settles + 1);
  });
});

/** The same authorization written differently: upper-case signature hex, lower-case payer. */
function recased(header: string): string {
  const payment = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  const { signature, authorization } = payment.payload;
  payment.payload.signature = `0x${signature.slice(2).toUpperCase()}`;
  authorization.from = authorization.from.toLowerCase();
  return Buffer.from(JSON.stringify(payment)).toString('base64');
}
