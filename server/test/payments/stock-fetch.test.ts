import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { x402Client, x402HTTPClient } from '@x402/core/client';
import { decodePaymentResponseHeader } from '@x402/core/http';
import { ExactEvmScheme } from '@x402/evm';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  newAccount,
  PAID_EXECUTE,
  type PaidApp,
  payingFetch,
  startPaidApp,
} from '../support/evm/paid-app.ts';
import { createTemplate } from '../support/operations.ts';
import { collect } from '../support/subscription-results.ts';

const HISTORY = /* GraphQL */ `
  query History($templateId: ID!) {
    myExecutions(templateId: $templateId) {
      totalCount
      edges { node { id status amountPaid network payerAddress paymentTransaction paymentSignature } }
    }
  }
`;
const OWNER_VIEW = /* GraphQL */ `
  query OwnerView($id: ID!) {
    node(id: $id) { ... on Template { executions(first: 100) { edges { node { id payerAddress caller { id } } } } } }
  }
`;

// Done-when 1 and 6 (the WS variant): integrators pay with stock x402 tooling, no GraphQL-specific
// payment code; what they paid shows up in their history.
describe('paying with stock x402 clients', () => {
  let app: PaidApp;
  let owner: string;
  let caller: string;
  let templateId: string;
  const payTo = newAccount().address;

  beforeAll(async () => {
    app = await startPaidApp();
    [owner, caller] = await Promise.all([app.token('olga'), app.token('cole')]);
    templateId = await createTemplate(app, owner, { priceUsdc: '0.01', payTo });
  });
  afterAll(() => app?.close());

  const executeBody = (variables = { topic: 'tides' }) =>
    JSON.stringify({ query: PAID_EXECUTE, variables: { input: { templateId, variables } } });

  it('a wrapFetchWithPayment client pays, runs, and finds the row in myExecutions', async () => {
    const account = newAccount();
    app.modelServer.enqueue({ kind: 'text', text: 'Tides turn', inputTokens: 9, outputTokens: 2 });
    const response = await payingFetch(account)(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${caller}` },
      body: executeBody(),
    });
    const body = await response.json();

    expect(response.status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.executeTemplate.output).toBe('Tides turn');
    const receipt = decodePaymentResponseHeader(response.headers.get('PAYMENT-RESPONSE') ?? '');
    expect(receipt).toMatchObject({ success: true, network: 'eip155:84532', amount: '10000' });
    expect(receipt.transaction).toMatch(/^simulated:0x[0-9a-f]{64}$/);

    const history = await app.gql(HISTORY, { templateId }, { token: caller, network: true });
    expect(history.data?.myExecutions.totalCount).toBe(1);
    expect(history.data?.myExecutions.edges[0].node).toEqual({
      id: body.data.executeTemplate.execution.id,
      status: 'SUCCESS',
      amountPaid: '0.01',
      network: 'eip155:84532',
      payerAddress: account.address,
      paymentTransaction: receipt.transaction,
      paymentSignature: expect.stringMatching(/^0x[0-9a-f]{130}$/),
    });
    expect(app.spy.settles).toBe(1);
  });

  it('lets an anonymous wallet pay: the row has no caller and only the owner sees it', async () => {
    const account = newAccount();
    const response = await payingFetch(account)(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: executeBody(),
    });
    const run = (await response.json()).data.executeTemplate.execution;
    expect(run).toMatchObject({ status: 'SUCCESS', amountPaid: '0.01', caller: null });
    expect(run.payerAddress).toBe(account.address);

    const asOwner = await app.gql(OWNER_VIEW, { id: templateId }, { token: owner });
    const ownerSees = asOwner.data?.node.executions.edges.map((edge: any) => edge.node);
    expect(ownerSees).toContainEqual({ id: run.id, payerAddress: account.address, caller: null });
    const asCaller = await app.gql(OWNER_VIEW, { id: templateId }, { token: caller });
    expect(asCaller.data?.node.executions.edges.map((e: any) => e.node.id)).not.toContain(run.id);
    const mine = await app.gql(HISTORY, { templateId }, { token: caller });
    expect(mine.data?.myExecutions.totalCount).toBe(1);
    const direct = await app.gql(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: run.id },
      { token: caller },
    );
    expect(direct.data?.node).toBeNull();
  });

  it('takes the payment in the `payment` input field over graphql-ws, quoted by templatePaymentRequirements', async () => {
    const socket = app.ws(caller);
    const quoted = collect(
      socket,
      `query($id: ID!) { templatePaymentRequirements(templateId: $id) { paymentRequired viewerMustPay } }`,
      { id: templateId },
    );
    const [quote] = await quoted.waitFor(1);
    expect(quote?.data?.templatePaymentRequirements.viewerMustPay).toBe(true);

    // The buyer side of any x402 SDK: sign the quoted requirements, encode as the header would be.
    const client = new x402HTTPClient(
      new x402Client().register('eip155:*', new ExactEvmScheme(newAccount())),
    );
    const payload = await client.createPaymentPayload(
      quote?.data?.templatePaymentRequirements.paymentRequired,
    );
    const payment = client.encodePaymentSignatureHeader(payload)['PAYMENT-SIGNATURE'];
    const runs = collect(socket, PAID_EXECUTE, {
      input: { templateId, variables: { topic: 'ws' }, payment },
    });
    const [result] = await runs.waitFor(1);

    expect(result?.errors).toBeUndefined();
    expect(result?.data?.executeTemplate.execution).toMatchObject({
      status: 'SUCCESS',
      amountPaid: '0.01',
      caller: { name: 'cole' },
    });
    expect(result?.data?.executeTemplate.execution.paymentTransaction).toMatch(/^simulated:/);
  });

  it('the third-party script examples/pay-and-run.ts pays and runs a template', async () => {
    const script = fileURLToPath(new URL('../../../examples/pay-and-run.ts', import.meta.url));
    app.modelServer.enqueue({ kind: 'text', text: 'Example output' });
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', script, JSON.stringify({ topic: 'examples' })],
      {
        env: {
          ...process.env,
          PROMPTMETER_URL: app.url,
          PRIVATE_KEY: generatePrivateKey(),
          TEMPLATE_ID: templateId,
          PROMPTMETER_TOKEN: caller,
        },
      },
    );
    expect(stdout).toMatch(
      /^Example output\n\npaid 0\.01 USDC from 0x[0-9a-fA-F]{40} on eip155:84532\n/,
    );
    expect(stdout).toMatch(/success: true/);
  });
});
