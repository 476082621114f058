import { describe, expect, it } from 'vitest';
import { expectAlreadyUsed, paidTemplateFixture } from '../support/evm/paid-app.ts';

// Done-when 4 (replay): a payment pays for at most one run, however often or however
// concurrently it is sent; the reservation, not verification, is what guarantees it.
describe('replaying a payment', () => {
  const fixture = paidTemplateFixture();
  const { pay, logRows } = fixture;

  it('refuses a sequential replay with PAYMENT_ALREADY_USED and no second model call', async () => {
    const header = await pay();
    const first = await fixture.app.runPaid(fixture.templateId, header, fixture.caller);
    expect(first.data?.executeTemplate.execution).toMatchObject({
      status: 'SUCCESS',
      amountPaid: '0.5',
    });
    const calls = fixture.app.modelServer.requests.length;

    expectAlreadyUsed(await fixture.app.runPaid(fixture.templateId, header, fixture.caller));
    expectAlreadyUsed(await fixture.app.runPaid(fixture.templateId, header)); // nor anonymously
    expect(fixture.app.modelServer.requests.length).toBe(calls);
    expect(await logRows()).toHaveLength(1);
    expect(await fixture.app.reservations(fixture.payer.address)).toMatchObject([
      { state: 'settled', attempts: 1 },
    ]);
  });

  it('gives ten identical payments sent at once exactly one model call, one row, one settlement', async () => {
    const header = await pay();
    const [calls, settles] = [fixture.app.modelServer.requests.length, fixture.app.spy.settles];
    const runs = await Promise.all(
      Array.from({ length: 10 }, () =>
        fixture.app.runPaid(fixture.templateId, header, fixture.caller),
      ),
    );

    const codes = runs.map((run) => run.errors?.[0]?.extensions?.code ?? 'OK').sort();
    expect(codes).toEqual(['OK', ...Array(9).fill('PAYMENT_ALREADY_USED')]);
    expect(fixture.app.modelServer.requests.length).toBe(calls + 1);
    expect(fixture.app.spy.settles).toBe(settles + 1);
    expect(await logRows()).toMatchObject([{ status: 'success', amount_paid: '0.500000' }]);
  });

  it('refuses with PAYMENT_FAILED when the facilitator cannot verify, keeping the payment usable', async () => {
    fixture.app.spy.verifyWith = () => Promise.reject(new Error('connect ECONNREFUSED'));
    const header = await pay();
    const calls = fixture.app.modelServer.requests.length;
    const run = await fixture.app.runPaid(fixture.templateId, header, fixture.caller);
    expect(run.errors?.[0]?.extensions).toMatchObject({
      code: 'PAYMENT_FAILED',
      reason: 'facilitator_unavailable',
    });
    expect(JSON.stringify(run.errors)).not.toContain('ECONNREFUSED');
    expect(fixture.app.modelServer.requests.length).toBe(calls);
    expect(await logRows()).toEqual([]);
    expect(await fixture.app.reservations(fixture.payer.address)).toEqual([]);

    fixture.app.spy.verifyWith = null;
    const retried = await fixture.app.runPaid(fixture.templateId, header, fixture.caller);
    expect(retried.data?.executeTemplate.execution).toMatchObject({
      status: 'SUCCESS',
      amountPaid: '0.5',
    });
  });
});
