import { decodePaymentRequiredHeader } from '@x402/core/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizationWindowSeconds, createPaymentGate } from '../../src/payments/index.ts';
import { newAccount, type PaidApp, startPaidApp } from '../support/evm/paid-app.ts';
import { createTemplate, EXECUTE } from '../support/operations.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const BASE_SEPOLIA_USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';

// The price, before paying: the Template.price fields, the side-effect free quote, and the 402
// headers a browser can read.
describe('quoting the price of a run', () => {
  let app: PaidApp;
  let owner: string;
  let caller: string;
  let templateId: string;
  const payTo = newAccount().address;

  beforeAll(async () => {
    // Cross-origin browsers: only the origins allowed (CORS_ORIGINS).
    app = await startPaidApp({ policy: { corsOrigins: ['https://app.example'] } });
    [owner, caller] = await Promise.all([app.token('quinn'), app.token('quade')]);
    templateId = await createTemplate(app, owner, { priceUsdc: '0.01', payTo });
  });
  afterAll(() => app?.close());

  const executeBody = () =>
    JSON.stringify({
      query: EXECUTE,
      variables: { input: { templateId, variables: { topic: 'x' } } },
    });

  it('quotes exactly what the 402 asks for, without side effects, and shows the price on Template', async () => {
    const rowsBefore = await app.rows(templateId);
    const reservationsBefore = await app.db.query('SELECT id FROM x402_payment_reservations');
    const unpaid = await app.runPaid(templateId, null, caller);
    expect(unpaid.status).toBe(402);
    const fromHeader = decodePaymentRequiredHeader(unpaid.headers.get('PAYMENT-REQUIRED') ?? '');
    expect(await app.quote(templateId)).toEqual(fromHeader);
    expect(fromHeader.accepts).toEqual([
      expect.objectContaining({
        scheme: 'exact',
        network: 'eip155:84532',
        amount: '10000',
        asset: BASE_SEPOLIA_USDC,
        payTo,
      }),
    ]);
    expect(unpaid.errors?.[0]?.extensions).toMatchObject({
      code: 'PAYMENT_REQUIRED',
      x402: fromHeader,
    });
    expect(await app.rows(templateId)).toBe(rowsBefore);
    expect(await app.db.query('SELECT id FROM x402_payment_reservations')).toEqual(
      reservationsBefore,
    );

    const price = await app.gql(
      `query($id: ID!) { template(id: $id) { priceUsdc price { amount atomicAmount asset assetSymbol decimals network payTo } } }`,
      { id: templateId },
    );
    expect(price.data?.template).toEqual({
      priceUsdc: '0.01',
      price: {
        amount: '0.01',
        atomicAmount: '10000',
        asset: BASE_SEPOLIA_USDC,
        assetSymbol: 'USDC',
        decimals: 6,
        network: 'eip155:84532',
        payTo,
      },
    });
    const asOwner = await app.gql(
      `query($id: ID!) { templatePaymentRequirements(templateId: $id) { viewerMustPay paymentRequiredHeader } }`,
      { id: templateId },
      { token: owner },
    );
    expect(asOwner.data?.templatePaymentRequirements.viewerMustPay).toBe(false);
    expect(
      decodePaymentRequiredHeader(asOwner.data?.templatePaymentRequirements.paymentRequiredHeader),
    ).toMatchObject({ accepts: fromHeader.accepts });
  });

  it('lets browsers read the x402 headers cross-origin (CORS)', async () => {
    const preflight = await fetch(`${app.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,payment-signature',
      },
    });
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/payment-signature/i);
    const unpaid = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { origin: 'https://app.example', 'content-type': 'application/json' },
      body: executeBody(),
    });
    expect(unpaid.status).toBe(402);
    expect(unpaid.headers.get('access-control-expose-headers')).toBe(
      'PAYMENT-REQUIRED, PAYMENT-RESPONSE',
    );
  });

  it('asks for an authorization that outlives the slowest run and its settlement', () => {
    // The documented defaults: ANTHROPIC_TIMEOUT_MS 300000, X402_FACILITATOR_TIMEOUT_MS 60000.
    expect(
      authorizationWindowSeconds({ modelTimeoutMs: 300_000, facilitatorTimeoutMs: 60_000 }),
    ).toBe(450);
    expect(
      authorizationWindowSeconds({ modelTimeoutMs: 10_000, facilitatorTimeoutMs: 1_000 }),
    ).toBe(300);
  });

  it('says loudly when settlement is simulated (no X402_FACILITATOR_URL)', () => {
    const settings = {
      facilitatorUrl: undefined,
      facilitatorTimeoutMs: 1000,
      modelTimeoutMs: 1000,
    };
    expect(createPaymentGate(settings, app.db.prisma).description).toMatch(
      /^⚠ SIMULATED .*no money moves.*Set X402_FACILITATOR_URL/s,
    );
  });
});

// A client offers a throw-away demo wallet only when no money can move: the quote says so.
describe('telling clients whether settlement is simulated', () => {
  const SETTLEMENT = `query($id: ID!) {
    templatePaymentRequirements(templateId: $id) { simulated settlement viewerMustPay }
  }`;
  const apps: TestApp[] = [];
  afterAll(() => Promise.all(apps.map((app) => app.close())));

  async function quoteFrom(facilitatorUrl: string | undefined) {
    const app = await startTestApp({
      payments: (db) =>
        createPaymentGate(
          { facilitatorUrl, facilitatorTimeoutMs: 1000, modelTimeoutMs: 1000 },
          db.prisma,
        ),
    });
    apps.push(app);
    const owner = await app.token('sims');
    const templateId = await createTemplate(app, owner, {
      priceUsdc: '0.01',
      payTo: newAccount().address,
    });
    const quote = await app.gql(SETTLEMENT, { id: templateId }, { network: true });
    expect(quote.errors).toBeUndefined();
    return { gate: app.services.payments, quote: quote.data?.templatePaymentRequirements };
  }

  it('is simulated with the built-in facilitator (no X402_FACILITATOR_URL)', async () => {
    const { gate, quote } = await quoteFrom(undefined);
    expect(gate.simulated).toBe(true);
    expect(quote).toEqual({ simulated: true, settlement: gate.description, viewerMustPay: true });
    expect(quote.settlement).toMatch(/SIMULATED.*no money moves/s);
  });

  it('is not simulated with a real facilitator, and names it', async () => {
    // The quote never calls the facilitator: nothing needs to listen there.
    const { gate, quote } = await quoteFrom('http://127.0.0.1:9/facilitator');
    expect(gate.simulated).toBe(false);
    expect(quote).toEqual({
      simulated: false,
      settlement: 'x402, settled by the facilitator at http://127.0.0.1:9',
      viewerMustPay: true,
    });
  });
});
