/**
 * Pays for one run of a promptmeter template and prints its output — a third-party client using
 * only the stock x402 buyer tooling (@x402/fetch + @x402/evm) and viem. Nothing here is specific
 * to GraphQL or promptmeter's payments: the server answers HTTP 402 with PAYMENT-REQUIRED, the
 * wrapped fetch signs an EIP-3009 USDC authorization and retries with PAYMENT-SIGNATURE, and the
 * receipt comes back in PAYMENT-RESPONSE. See docs/payments.md.
 *
 *   PROMPTMETER_URL=http://localhost:4000 PRIVATE_KEY=0x… TEMPLATE_ID=… \
 *     npx tsx examples/pay-and-run.ts '{"product":"Lamp","facts":"brass, dimmable"}'
 *
 * Optional PROMPTMETER_TOKEN (a promptmeter JWT) files the run under your account, so it shows in
 * myExecutions; without it you pay as an anonymous wallet. The x402 client refuses to pay more
 * than $1 per request unless told otherwise (spendControls).
 */
import { ExactEvmScheme } from '@x402/evm';
import { decodePaymentResponseHeader, wrapFetchWithPaymentFromConfig } from '@x402/fetch';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const RUN = /* GraphQL */ `
  mutation Run($input: ExecuteTemplateInput!) {
    executeTemplate(input: $input) {
      output
      execution { id status errorMessage amountPaid network paymentTransaction }
    }
  }
`;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Set ${name} (see the comment at the top of this file)`);
  return value;
}

const endpoint = new URL('/graphql', process.env.PROMPTMETER_URL ?? 'http://localhost:4000');
const account = privateKeyToAccount(required('PRIVATE_KEY') as Hex);
const templateId = required('TEMPLATE_ID');
const variables = JSON.parse(process.argv[2] ?? '{}');
const token = process.env.PROMPTMETER_TOKEN;

const fetchWithPayment = wrapFetchWithPaymentFromConfig(fetch, {
  schemes: [{ network: 'eip155:*', client: new ExactEvmScheme(account) }],
});

const response = await fetchWithPayment(endpoint, {
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  },
  body: JSON.stringify({ query: RUN, variables: { input: { templateId, variables } } }),
});
const { data, errors } = await response.json();
const receipt = response.headers.get('PAYMENT-RESPONSE');

if (errors?.length) {
  // e.g. PAYMENT_INVALID (with extensions.reason), PAYMENT_ALREADY_USED, PAYMENT_FAILED.
  for (const error of errors) console.error(`${error.extensions?.code}: ${error.message}`);
  process.exitCode = 1;
} else {
  const { output, execution } = data.executeTemplate;
  console.log(output ?? `(run ${execution.status}: ${execution.errorMessage})`);
  console.log(
    `\npaid ${execution.amountPaid} USDC from ${account.address} on ${execution.network}`,
  );
}
if (receipt) console.log('settlement:', decodePaymentResponseHeader(receipt));
