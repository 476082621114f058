import { decodePaymentResponseHeader } from '@x402/core/http';
import { describe, expect, it } from 'vitest';
import { dbId, expectAlreadyUsed, paidTemplateFixture } from '../support/evm/paid-app.ts';

// Done-when 4 (settlement): a payment is settled at most once and only after a successful run:
// a failing model costs nothing, a refused or silent settlement withholds the output.
describe('settling a paid run', () => {
  const fixture = paidTemplateFixture();
  const { pay, logRows } = fixture;

  it('does not charge for a failed model run, and lets the unsettled payment pay for a retry', async () => {
    const header = await pay();
    const settles = fixture.app.spy.settles;
    fixture.app.modelServer.enqueue({ kind: 'error', status: 529 });
    const failed = await fixture.app.runPaid(fixture.templateId, header, fixture.caller);
    expect(failed.data?.executeTemplate.execution).toMatchObject({
      status: 'FAILED',
      amountPaid: '0',
      paymentSignature: null,
      paymentTransaction: null,
      payerAddress: fixture.payer.address,
    });
    expect(failed.headers.get('PAYMENT-RESPONSE')).toBeNull();
    expect(fixture.app.spy.settles).toBe(settles);
    expect(await fixture.app.reservations(fixture.payer.address)).toMatchObject([
      { state: 'released' },
    ]);

    // The authorization was never settled, so it may pay for one new run — once.
    const retried = await fixture.app.runPaid(fixture.templateId, header, fixture.caller);
    expect(retried.data?.executeTemplate.execution).toMatchObject({
      status: 'SUCCESS',
      amountPaid: '0.5',
    });
    expect(fixture.app.spy.settles).toBe(settles + 1);
    expectAlreadyUsed(await fixture.app.runPaid(fixture.templateId, header, fixture.caller));
    const [reservation] = await fixture.app.reservations(fixture.payer.address);
    expect(reservation).toMatchObject({ state: 'settled', attempts: 2 });
    expect(reservation?.usage_log_id).toBe(dbId(retried.data?.executeTemplate.execution.id));
    expect((await logRows()).map((row) => row.amount_paid).sort()).toEqual([
      '0.000000',
      '0.500000',
    ]);
  });

  it('withholds the output when settlement is refused: PAYMENT_FAILED, one FAILED row with the tokens', async () => {
    fixture.app.spy.settleWith = async () => ({
      success: false,
      errorReason: 'invalid_exact_evm_insufficient_balance',
      transaction: '',
      network: 'eip155:84532',
    });
    fixture.app.modelServer.enqueue({
      kind: 'text',
      text: 'a secret answer',
      inputTokens: 11,
      outputTokens: 3,
    });
    const header = await pay();
    const run = await fixture.app.runPaid(fixture.templateId, header, fixture.caller);

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
    expect(await fixture.app.reservations(fixture.payer.address)).toMatchObject([
      { state: 'settle_failed' },
    ]);
    // A refused settlement is final for this authorization: sign a new one. The reservation is
    // keyed on the authorization, not its encoding: a re-cased twin is the same payment.
    const calls = fixture.app.modelServer.requests.length;
    expectAlreadyUsed(await fixture.app.runPaid(fixture.templateId, header, fixture.caller));
    expectAlreadyUsed(
      await fixture.app.runPaid(fixture.templateId, recased(header), fixture.caller),
    );
    expect(fixture.app.modelServer.requests.length).toBe(calls);
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
    fixture.app.spy.settleWith = settle;
    const header = await pay();
    const settles = fixture.app.spy.settles;
    const run = await fixture.app.runPaid(fixture.templateId, header, fixture.caller);

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
    expect(await fixture.app.reservations(fixture.payer.address)).toMatchObject([
      { state: 'settle_unknown' },
    ]);

    fixture.app.spy.settleWith = null;
    expectAlreadyUsed(await fixture.app.runPaid(fixture.templateId, header, fixture.caller));
    expect(fixture.app.spy.settles).toBe(settles + 1);
  });
});

/** The same authorization written differently: upper-case signature hex, lower-case fixture.payer. */
function recased(header: string): string {
  const payment = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  const { signature, authorization } = payment.payload;
  payment.payload.signature = `0x${signature.slice(2).toUpperCase()}`;
  authorization.from = authorization.from.toLowerCase();
  return Buffer.from(JSON.stringify(payment)).toString('base64');
}
