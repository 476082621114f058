import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAccount, type PaidApp, startPaidApp } from '../support/evm/paid-app.ts';
import { createStockClient, signPayment } from '../support/evm/stock-client.ts';
import { createTemplate } from '../support/operations.ts';
import { overSocket } from './support.ts';

// Issue 12: "a payment signed for template X paid for another owner's template Y with the same
// payee and price". Signed by the stock x402 client, as every payment test does.
describe('a payment is bound to the template it was signed for', () => {
  let app: PaidApp;
  let caller: string;
  let x: string;
  let y: string;
  const payTo = newAccount().address;

  beforeAll(async () => {
    app = await startPaidApp();
    const [alice, mallory] = await Promise.all([app.token('xavier'), app.token('yolanda')]);
    caller = await app.token('payer-bound');
    x = await createTemplate(app, alice, { name: 'X', priceUsdc: '0.25', payTo });
    // Another owner, the same payee and price: only the resource tells the two apart.
    y = await createTemplate(app, mallory, { name: 'Y', priceUsdc: '0.25', payTo });
  });
  afterAll(() => app?.close());

  it('names the template in the requirements it quotes', async () => {
    const [quoteX, quoteY] = [await app.quote(x), await app.quote(y)];
    expect(quoteX.accepts[0]?.extra.resource).toBe(x);
    expect(quoteY.accepts[0]?.extra.resource).toBe(y);
  });

  it('refuses on Y a payment signed for X over HTTP (PAYMENT_INVALID), runs nothing, and X still takes it', async () => {
    const client = createStockClient(newAccount());
    const { header } = await signPayment(client, await app.quote(x));
    const [rowsY, calls] = [await app.rows(y), app.modelServer.requests.length];
    const onY = await app.runPaid(y, header, caller);
    expect(onY.status).toBe(402);
    expect(onY.errors?.[0]?.extensions).toMatchObject({
      code: 'PAYMENT_INVALID',
      reason: 'resource_mismatch',
    });
    expect(await app.rows(y)).toBe(rowsY);
    expect(app.modelServer.requests.length).toBe(calls);
    // Not consumed by the refusal: the template it was signed for accepts it.
    const onX = await app.runPaid(x, header, caller);
    expect(onX.errors).toBeUndefined();
    expect(onX.data?.executeTemplate.execution.status).toBe('SUCCESS');
  });

  it('refuses it over a WebSocket too (payment as the input field)', async () => {
    const client = createStockClient(newAccount());
    const { header } = await signPayment(client, await app.quote(x));
    const socket = app.ws(caller);
    const result = await overSocket(
      socket,
      `mutation($input: ExecuteTemplateInput!) { executeTemplate(input: $input) { output } }`,
      { input: { templateId: y, variables: { topic: 'x' }, payment: header } },
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'PAYMENT_INVALID',
      reason: 'resource_mismatch',
    });
  });

  it('refuses a payment whose accepted terms name no resource', async () => {
    const client = createStockClient(newAccount());
    const { payload } = await signPayment(client, await app.quote(x));
    const stripped = {
      ...payload,
      accepted: { ...payload.accepted, extra: { ...payload.accepted.extra, resource: undefined } },
    };
    const header = Buffer.from(JSON.stringify(stripped)).toString('base64');
    const run = await app.runPaid(y, header, caller);
    expect(run.errors?.[0]?.extensions).toMatchObject({ reason: 'resource_mismatch' });
  });
});
