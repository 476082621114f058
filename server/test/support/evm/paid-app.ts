import { decodeGlobalID } from '@pothos/plugin-relay';
import type { x402HTTPClient } from '@x402/core/client';
import { ExactEvmScheme } from '@x402/evm';
import { wrapFetchWithPaymentFromConfig } from '@x402/fetch';
import type { PrivateKeyAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import {
  type AssetOverride,
  createLocalFacilitator,
  createPaymentReservations,
  createX402Gate,
  type FacilitatorClient,
  type PaymentRequired,
  type SettleResponse,
  type VerifyResponse,
} from '../../../src/payments/index.ts';
import { createTemplate } from '../operations.ts';
import { startTestApp, type TestApp, type TestAppOptions } from '../test-app.ts';
import { createStockClient, signPayment } from './stock-client.ts';

/** The executeTemplate selection the payment tests read. */
export const PAID_EXECUTE = /* GraphQL */ `
  mutation PaidExecute($input: ExecuteTemplateInput!) {
    executeTemplate(input: $input) {
      output
      execution {
        id status errorMessage inputTokens outputTokens amountPaid network payerAddress
        paymentSignature paymentTransaction caller { name }
      }
    }
  }
`;

/** A facilitator that counts calls and whose settlement a test can replace. */
export interface FacilitatorSpy {
  verifies: number;
  settles: number;
  /** Replace the inner facilitator's verification / settlement while set. */
  verifyWith: null | (() => Promise<VerifyResponse>);
  settleWith:
    | null
    | ((...args: Parameters<FacilitatorClient['settle']>) => Promise<SettleResponse>);
  facilitator: FacilitatorClient;
}

export function spyFacilitator(inner: FacilitatorClient): FacilitatorSpy {
  const spy: FacilitatorSpy = {
    verifies: 0,
    settles: 0,
    verifyWith: null,
    settleWith: null,
    facilitator: {
      verify: (payload, requirements) => {
        spy.verifies++;
        return spy.verifyWith ? spy.verifyWith() : inner.verify(payload, requirements);
      },
      settle: (payload, requirements) => {
        spy.settles++;
        return spy.settleWith
          ? spy.settleWith(payload, requirements)
          : inner.settle(payload, requirements);
      },
      getSupported: () => inner.getSupported(),
    },
  };
  return spy;
}

export interface PaidAppOptions extends TestAppOptions {
  /** Default: the built-in (simulated) facilitator on Base Sepolia. Ignored with `payments`. */
  facilitator?: FacilitatorClient;
  assets?: Record<string, AssetOverride>;
  facilitatorTimeoutMs?: number;
}

/** The test app with a real x402 gate over its database, and a spy on its facilitator. */
export async function startPaidApp(options: PaidAppOptions = {}) {
  const spy = spyFacilitator(options.facilitator ?? createLocalFacilitator());
  const reports: string[] = [];
  const app = await startTestApp({
    ...options,
    payments:
      options.payments ??
      ((db) =>
        createX402Gate({
          facilitator: spy.facilitator,
          reservations: createPaymentReservations(db.prisma),
          assets: options.assets,
          facilitatorTimeoutMs: options.facilitatorTimeoutMs ?? 10_000,
          report: (message) => reports.push(message),
        })),
  });
  return Object.assign(app, { spy, reports, ...helpers(app) });
}

export type PaidApp = Awaited<ReturnType<typeof startPaidApp>>;

function helpers(app: TestApp) {
  const count = async (sql: string, params: unknown[]) =>
    ((await app.db.query<{ n: number }>(sql, params))[0] as { n: number }).n;
  return {
    /** Runs a template over real HTTP with the payment in the PAYMENT-SIGNATURE header. */
    runPaid(templateId: string, header: string | null, token?: string, variables = { topic: 'x' }) {
      const headers: Record<string, string> = header ? { 'PAYMENT-SIGNATURE': header } : {};
      return app.gql(
        PAID_EXECUTE,
        { input: { templateId, variables } },
        { token, headers, network: true },
      );
    },
    /** The PaymentRequired the server quotes for one run (over real HTTP, like the 402). */
    async quote(templateId: string): Promise<PaymentRequired> {
      const result = await app.gql(
        `query($id: ID!) { templatePaymentRequirements(templateId: $id) { paymentRequired } }`,
        { id: templateId },
        { network: true },
      );
      return result.data?.templatePaymentRequirements.paymentRequired;
    },
    /** Execution-log rows of a template (read as the database owner: every row). */
    rows: (templateId: string) =>
      count(
        'SELECT count(*)::int AS n FROM x402_prompt_template_usage_logs WHERE template_id = $1',
        [dbId(templateId)],
      ),
    /** The execution-log rows a payer's payments ran (their payment columns as stored). */
    payerRows: (payer: string) =>
      app.db.query<Record<string, any>>(
        `SELECT status, error_message, input_tokens, output_tokens,
                amount_paid::text AS amount_paid, payment_signature, payment_transaction
         FROM x402_prompt_template_usage_logs WHERE payer_address = $1`,
        [payer],
      ),
    async reservations(payer: string) {
      return app.db.query<{ state: string; attempts: number; usage_log_id: string }>(
        'SELECT state, attempts, usage_log_id FROM x402_payment_reservations WHERE payer = $1',
        [payer.toLowerCase()],
      );
    },
  };
}

export function expectAlreadyUsed(run: { data?: unknown; errors?: any[] }) {
  expect(run.data).toBeNull();
  expect(run.errors?.[0]?.extensions?.code).toBe('PAYMENT_ALREADY_USED');
}

/** A stock @x402/fetch: what any third party writes, nothing GraphQL- or promptmeter-specific. */
export function payingFetch(
  account: PrivateKeyAccount,
  allowedAssets?: AssetOnChain[],
  baseFetch: typeof fetch = fetch,
) {
  return wrapFetchWithPaymentFromConfig(baseFetch, {
    schemes: [{ network: 'eip155:*', client: new ExactEvmScheme(account) }],
    ...(allowedAssets && { spendControls: { allowedAssets } }),
  });
}

type AssetOnChain = { network: `${string}:${string}`; asset: string };

export const newAccount = () => privateKeyToAccount(generatePrivateKey());

/** The database id inside a Relay global id. */
export const dbId = (globalId: string) => decodeGlobalID(globalId).id;

/**
 * The fixture the replay and settlement suites share: a paid app with a fast facilitator
 * timeout, a 0.5 USDC template, and per test a fresh payer with its stock x402 client and
 * untouched facilitator behaviour. Read the fields inside tests (they are set by the hooks).
 */
export function paidTemplateFixture() {
  const fixture = {
    app: undefined as unknown as PaidApp,
    caller: '',
    templateId: '',
    payer: newAccount(),
    client: undefined as unknown as x402HTTPClient,
    /** A fresh payment header for one run of the template by the current payer. */
    pay: async () =>
      (await signPayment(fixture.client, await fixture.app.quote(fixture.templateId))).header,
    /** The execution-log rows of the current payer. */
    logRows: () => fixture.app.payerRows(fixture.payer.address),
  };
  beforeAll(async () => {
    fixture.app = await startPaidApp({ facilitatorTimeoutMs: 300 });
    const owner = await fixture.app.token('oren');
    fixture.caller = await fixture.app.token('cass');
    fixture.templateId = await createTemplate(fixture.app, owner, {
      priceUsdc: '0.5',
      payTo: newAccount().address,
    });
  });
  afterAll(() => fixture.app?.close());
  beforeEach(() => {
    fixture.app.spy.verifyWith = null;
    fixture.app.spy.settleWith = null;
    fixture.payer = newAccount();
    fixture.client = createStockClient(fixture.payer);
  });
  return fixture;
}
