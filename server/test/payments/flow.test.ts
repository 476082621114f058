import type { x402HTTPClient } from '@x402/core/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKEND_ROLE, REQUEST_ROLE } from '../../src/db/roles.ts';
import type { PaymentRequired, PaymentRequirements } from '../../src/payments/index.ts';
import { dbId, newAccount, type PaidApp, startPaidApp } from '../support/evm/paid-app.ts';
import { createStockClient, signPayment } from '../support/evm/stock-client.ts';
import { createTemplate } from '../support/operations.ts';

const BASE_USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';

// Done-when 3 and 5: a payment that does not match is refused with its reason before anything is
// written or run; owners never pay; one payment pays for one field; the header is never logged.
describe('payments refused before any paid work', () => {
  let app: PaidApp;
  let owner: string;
  let caller: string;
  let templateId: string;
  let client: x402HTTPClient;
  const payTo = newAccount().address;
  const sent: string[] = [];
  const logged: string[] = [];

  beforeAll(async () => {
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args) => {
        logged.push(args.map(String).join(' '));
      });
    }
    app = await startPaidApp();
    [owner, caller] = await Promise.all([app.token('opal'), app.token('cy')]);
    templateId = await createTemplate(app, owner, { priceUsdc: '0.01', payTo });
    client = createStockClient(newAccount());
  });
  afterAll(async () => {
    await app?.close();
    vi.restoreAllMocks();
  });

  async function sign(change: Partial<PaymentRequirements> = {}, quote?: PaymentRequired) {
    const required = quote ?? (await app.quote(templateId));
    const accepts = [{ ...(required.accepts[0] as PaymentRequirements), ...change }];
    const { header } = await signPayment(client, { ...required, accepts });
    sent.push(header);
    return header;
  }

  function flipSignatureByte(header: string) {
    const payload = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
    const signature: string = payload.payload.signature;
    payload.payload.signature = `${signature.slice(0, 10)}${signature[10] === '0' ? '1' : '0'}${signature.slice(11)}`;
    return Buffer.from(JSON.stringify(payload)).toString('base64');
  }

  async function expectRefusedWithoutTrace(header: string, code: string, reason?: string) {
    const [rows, calls, settles] = [
      await app.rows(templateId),
      app.modelServer.requests.length,
      app.spy.settles,
    ];
    const run = await app.runPaid(templateId, header, caller);
    expect(run.data).toBeNull();
    expect(run.errors?.[0]?.extensions).toMatchObject({ code, ...(reason && { reason }) });
    expect(await app.rows(templateId)).toBe(rows);
    expect(app.modelServer.requests.length).toBe(calls);
    expect(app.spy.settles).toBe(settles);
    expect(await app.db.query('SELECT id FROM x402_payment_reservations')).toEqual([]);
    return run;
  }

  it.each([
    ['a wrong amount', () => sign({ amount: '1' }), 'amount_mismatch'],
    ['a wrong payee', () => sign({ payTo: newAccount().address }), 'payee_mismatch'],
    [
      'a wrong network',
      () => sign({ network: 'eip155:8453', asset: BASE_USDC }),
      'network_mismatch',
    ],
    ['an expired authorization', () => sign({ maxTimeoutSeconds: 1 }), 'expired'],
    ['a bad signature', async () => flipSignatureByte(await sign()), 'invalid_signature'],
    ['a malformed header', async () => 'bm90IGEgcGF5bWVudA==', 'malformed'],
  ])(
    'refuses %s with PAYMENT_INVALID, its reason, a fresh 402, and no row',
    async (_, make, reason) => {
      const run = await expectRefusedWithoutTrace(await make(), 'PAYMENT_INVALID', reason);
      expect(run.status).toBe(402);
      expect(run.headers.get('PAYMENT-REQUIRED')).toBeTruthy();
    },
  );

  it('refuses a payment signed before the price was raised', async () => {
    const header = await sign();
    await app.db.query('UPDATE templates SET price_usdc = 0.02 WHERE id = $1', [dbId(templateId)]);
    try {
      await expectRefusedWithoutTrace(header, 'PAYMENT_INVALID', 'amount_mismatch');
      expect((await app.quote(templateId)).accepts[0]?.amount).toBe('20000');
    } finally {
      await app.db.query('UPDATE templates SET price_usdc = 0.01 WHERE id = $1', [
        dbId(templateId),
      ]);
    }
  });

  it("runs an owner's own priced template free, ignoring and not consuming an attached payment", async () => {
    const header = await sign();
    const facilitatorCalls = app.spy.verifies + app.spy.settles;
    const own = await app.runPaid(templateId, header, owner);
    expect(own.data?.executeTemplate.execution).toMatchObject({
      status: 'SUCCESS',
      amountPaid: '0',
      paymentSignature: null,
      paymentTransaction: null,
      payerAddress: null,
      network: null,
    });
    expect(own.headers.get('PAYMENT-RESPONSE')).toBeNull();
    expect(app.spy.verifies + app.spy.settles).toBe(facilitatorCalls);
    // Not consumed: the same payment still pays for someone else's run.
    const paid = await app.runPaid(templateId, header, caller);
    expect(paid.data?.executeTemplate.execution).toMatchObject({
      status: 'SUCCESS',
      amountPaid: '0.01',
    });
  });

  const TWO_RUNS = /* GraphQL */ `
    mutation Two($a: ExecuteTemplateInput!, $b: ExecuteTemplateInput!) {
      a: executeTemplate(input: $a) { output }
      ...More
    }
    fragment More on Mutation { b: executeTemplate(input: $b) { output } }
  `;

  it('refuses more than one paid field per operation, before running any', async () => {
    const input = { templateId, variables: { topic: 'x' } };
    const calls = app.modelServer.requests.length;
    const withHeader = await app.gql(
      TWO_RUNS,
      { a: input, b: input },
      { token: caller, headers: { 'PAYMENT-SIGNATURE': await sign() }, network: true },
    );
    const withField = await app.gql(
      TWO_RUNS,
      { a: input, b: { ...input, payment: await sign() } },
      { token: caller },
    );
    for (const refused of [withHeader, withField]) {
      expect(refused.status).toBe(400);
      expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(refused.errors?.[0]?.message).toMatch(/At most one paid field per operation/);
    }
    expect(app.modelServer.requests.length).toBe(calls);
    // Two free runs in one operation are fine.
    const free = await app.gql(TWO_RUNS, { a: input, b: input }, { token: owner });
    expect(free.errors).toBeUndefined();
    expect(app.modelServer.requests.length).toBe(calls + 2);
  });

  it('answers PAYMENT_UNAVAILABLE for a priced template on a network it has no token for', async () => {
    // createTemplate refuses this now; a template priced after publication (or a network this
    // server stopped serving) still has to fail cleanly at run time.
    const elsewhere = await createTemplate(app, owner, { payTo, network: 'eip155:999999' });
    await app.db.query(`UPDATE templates SET price_usdc = 1 WHERE id = $1`, [
      Buffer.from(elsewhere, 'base64').toString().split(':')[1],
    ]);
    const run = await app.runPaid(elsewhere, null, caller);
    expect(run.errors?.[0]?.extensions).toMatchObject({
      code: 'PAYMENT_UNAVAILABLE',
      network: 'eip155:999999',
    });
    const price = await app.gql(
      `query($id: ID!) { template(id: $id) { price { asset network } } }`,
      { id: elsewhere },
    );
    expect(price.data?.template.price).toEqual({ asset: null, network: 'eip155:999999' });
  });

  it('keeps reservations from the request role (RLS and grants), the backend being the control', async () => {
    const as = (role: string) =>
      app.db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('role', $1, true)`, [role]);
        return tx.query('SELECT state FROM x402_payment_reservations');
      });
    await expect(as(REQUEST_ROLE)).rejects.toThrow(/permission denied/);
    expect(await as(BACKEND_ROLE)).toEqual([{ state: 'settled' }]);
  });

  it('never logs a payment header', () => {
    expect(sent.length).toBeGreaterThan(8);
    const signatures = sent.map(
      (header) => JSON.parse(Buffer.from(header, 'base64').toString()).payload.signature,
    );
    for (const line of logged) {
      for (const secret of [...sent, ...signatures]) expect(line).not.toContain(secret);
    }
  });
});
