import type { ExecutionStatus } from '../gql/graphql.ts';
import type { PaymentRequired } from '../payments/x402.ts';

/** An Execution as the API sends it for ExecutionRow_execution (with __typename, as Apollo reads). */
export function execution(
  id: string,
  overrides: Partial<{
    status: ExecutionStatus;
    createdAt: string;
    inputTokens: number | null;
    outputTokens: number | null;
    amountPaid: string;
    errorMessage: string | null;
    logPosition: string;
    network: string | null;
    payerAddress: string | null;
    paymentTransaction: string | null;
  }> = {},
) {
  return {
    __typename: 'Execution' as const,
    id,
    status: 'SUCCESS' as ExecutionStatus,
    createdAt: new Date().toISOString(),
    inputTokens: 12,
    outputTokens: 40,
    amountPaid: '0',
    errorMessage: null,
    logPosition: `position-${id}`,
    network: null,
    payerAddress: null,
    paymentTransaction: null,
    ...overrides,
  };
}

export function executionsConnection<Node = ReturnType<typeof execution>>(
  nodes: Node[],
  totalCount = nodes.length,
) {
  return {
    __typename: 'ExecutionConnection' as const,
    totalCount,
    edges: nodes.map((node, index) => ({
      __typename: 'ExecutionEdge' as const,
      cursor: `cursor-${index}`,
      node,
    })),
    pageInfo: {
      __typename: 'PageInfo' as const,
      hasNextPage: totalCount > nodes.length,
      endCursor: nodes.length > 0 ? `cursor-${nodes.length - 1}` : null,
    },
  };
}

export const PAY_TO = '0x5C0d1E5bD0000000000000000000000000000001';

/** A 402's x402 PaymentRequired: 0.01 USDC on Base Sepolia to PAY_TO. */
export const paymentRequired: PaymentRequired = {
  x402Version: 2,
  resource: { url: 'http://localhost/graphql' },
  accepts: [
    {
      scheme: 'exact',
      network: 'eip155:84532',
      asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
      amount: '10000',
      payTo: PAY_TO,
      maxTimeoutSeconds: 450,
      extra: { name: 'USDC', version: '2' },
    },
  ],
};
