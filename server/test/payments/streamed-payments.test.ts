import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from '@x402/core/http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newAccount, type PaidApp, payingFetch, startPaidApp } from '../support/evm/paid-app.ts';
import { createStockClient, signPayment } from '../support/evm/stock-client.ts';
import { createTemplate } from '../support/operations.ts';
import { runOverSse, sseResults, streamOverWs } from '../support/streamed-runs.ts';

const WORDS = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');

async function eventsOf(response: Response) {
  const events: Record<string, any>[] = [];
  const errors: any[] = [];
  for await (const result of sseResults(response)) {
    if (result.errors) errors.push(...result.errors);
    if (result.data?.runTemplate) events.push(result.data.runTemplate);
  }
  return { events, errors };
}

// Issue 13: a streamed run is paid as a synchronous one — the x402 challenge before anything
// runs, settlement only after success, the receipt in the last event (the headers are gone).
describe('paying for a streamed run', () => {
  let app: PaidApp;
  let caller: string;
  let templateId: string;
  const input = (payment?: string) => ({
    templateId,
    variables: { topic: 'tides' },
    ...(payment ? { payment } : {}),
  });

  beforeAll(async () => {
    app = await startPaidApp();
    const owner = await app.token('olga');
    caller = await app.token('cole');
    templateId = await createTemplate(app, owner, {
      priceUsdc: '0.01',
      payTo: newAccount().address,
    });
  });
  afterAll(() => app?.close());

  it('answers an unpaid SSE request with HTTP 402 and the PAYMENT-REQUIRED header; nothing runs', async () => {
    const before = app.modelServer.requests.length;
    const response = await runOverSse(app.url, input(), { token: caller });
    expect(response.status).toBe(402);
    const challenge = decodePaymentRequiredHeader(response.headers.get('PAYMENT-REQUIRED') ?? '');
    expect(challenge.accepts[0]).toMatchObject({ scheme: 'exact', amount: '10000' });
    const { events, errors } = await eventsOf(response);
    expect(events).toEqual([]);
    expect(errors[0]?.extensions?.code).toBe('PAYMENT_REQUIRED');
    expect(app.modelServer.requests.length).toBe(before);
  });

  it('a stock wrapFetchWithPayment client pays, streams, is charged once, and finds the receipt in the last event; a replay is refused', async () => {
    const account = newAccount();
    const sent: Headers[] = [];
    const recordingFetch: typeof fetch = (url, init) => {
      sent.push(new Headers(init?.headers ?? (url instanceof Request ? url.headers : undefined)));
      return fetch(url, init);
    };
    const settlesBefore = app.spy.settles;
    app.modelServer.enqueue({ kind: 'text', text: 'Tides turn twice daily', chunkDelayMs: 30 });
    const response = await runOverSse(
      app.url,
      input(),
      { token: caller },
      payingFetch(account, undefined, recordingFetch),
    );
    expect(response.status).toBe(200);
    const { events, errors } = await eventsOf(response);
    expect(errors).toEqual([]);
    expect(events.map((event) => event.__typename)).toContain('ExecutionOutputDelta');
    const finished = events.at(-1);
    expect(finished).toMatchObject({
      __typename: 'ExecutionFinished',
      output: 'Tides turn twice daily',
      execution: {
        status: 'SUCCESS',
        amountPaid: '0.01',
        network: 'eip155:84532',
        payerAddress: account.address,
      },
    });
    const receipt = decodePaymentResponseHeader(finished?.paymentResponse);
    expect(receipt).toMatchObject({ success: true, network: 'eip155:84532', amount: '10000' });
    expect(receipt.transaction).toBe(finished?.execution.paymentTransaction);
    expect(app.spy.settles).toBe(settlesBefore + 1);
    expect(await app.reservations(account.address)).toMatchObject([{ state: 'settled' }]);

    // The stock client sent the payment in the PAYMENT-SIGNATURE header of its retry.
    const header = sent.at(-1)?.get('PAYMENT-SIGNATURE');
    expect(header).toBeTruthy();
    const replay = await runOverSse(app.url, input(), {
      token: caller,
      headers: { 'PAYMENT-SIGNATURE': header ?? '' },
    });
    const replayed = await eventsOf(replay);
    expect(replayed.events).toEqual([]);
    expect(replayed.errors[0]?.extensions?.code).toBe('PAYMENT_ALREADY_USED');
    expect(app.spy.settles).toBe(settlesBefore + 1);
  });

  it('over WebSocket: refused without `input.payment`; a stopped paid run is not charged and its payment pays for the next run', async () => {
    const unpaid = streamOverWs(app.ws(caller), input());
    await unpaid.until(() => unpaid.errors.length > 0);
    expect((unpaid.errors[0] as any)?.extensions).toMatchObject({
      code: 'PAYMENT_REQUIRED',
      x402: { x402Version: 2 },
    });

    const account = newAccount();
    const { header } = await signPayment(createStockClient(account), await app.quote(templateId));
    const settlesBefore = app.spy.settles;
    app.modelServer.enqueue({ kind: 'text', text: WORDS, chunkDelayMs: 100 });
    const stopped = streamOverWs(app.ws(caller), input(header));
    await stopped.until(() => stopped.deltas().length >= 2);
    stopped.unsubscribe();
    await vi.waitFor(
      async () =>
        expect(await app.reservations(account.address)).toMatchObject([{ state: 'released' }]),
      { timeout: 5000, interval: 50 },
    );
    expect(await app.payerRows(account.address)).toMatchObject([
      {
        status: 'failed',
        error_message: 'cancelled',
        amount_paid: '0.000000',
        payment_transaction: null,
      },
    ]);
    expect(app.spy.settles).toBe(settlesBefore);

    // Released, so the same signed authorization pays for one new run.
    const retried = streamOverWs(app.ws(caller), input(header));
    await retried.until(() => retried.completed);
    expect(retried.finished()?.execution).toMatchObject({ status: 'SUCCESS', amountPaid: '0.01' });
    expect(app.spy.settles).toBe(settlesBefore + 1);
  });

  it('a paid stream the model breaks is FAILED and not charged', async () => {
    const account = newAccount();
    const { header } = await signPayment(createStockClient(account), await app.quote(templateId));
    const settlesBefore = app.spy.settles;
    app.modelServer.enqueue({ kind: 'break', text: 'one two three four', afterChunks: 2 });
    const response = await runOverSse(app.url, input(), {
      token: caller,
      headers: { 'PAYMENT-SIGNATURE': header },
    });
    const { events } = await eventsOf(response);
    expect(events.at(-1)).toMatchObject({
      output: null,
      paymentResponse: null,
      execution: { status: 'FAILED', amountPaid: '0', paymentTransaction: null },
    });
    expect(app.spy.settles).toBe(settlesBefore);
    expect(await app.reservations(account.address)).toMatchObject([{ state: 'released' }]);
  });
});
