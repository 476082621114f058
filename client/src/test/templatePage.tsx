import { screen } from '@testing-library/react';
import { beforeEach, vi } from 'vitest';
import { YourExecutionsQuery } from '../executions/YourExecutions.tsx';
import { PaymentPromptQuery } from '../payments/PaymentPrompt.tsx';
import { payWithDemoWallet } from '../payments/sign.ts';
import {
  PromptTemplateDetailPage,
  PromptTemplateDetailPageQuery,
} from '../routes/TemplatePage.tsx';
import { RunTemplateStream } from '../templates/useCheckout.ts';
import { executionsConnection, paymentRequired as x402 } from './factories.ts';

export { x402 };

import { renderWithApollo } from './renderWithApollo.tsx';

/** A template page to run: its template, the mocks it loads with, and a run's mocks. */
export const id = 'VGVtcGxhdGU6Mg==';

export const template = {
  __typename: 'Template' as const,
  id,
  name: 'Product description writer',
  description: 'Turns facts into copy.',
  priceUsdc: '0.01',
  model: 'claude-sonnet-5',
  viewerIsOwner: false,
  owner: { __typename: 'User' as const, id: 'VXNlcjox', name: 'Demo Owner' },
  variables: [
    {
      __typename: 'TemplateVariable' as const,
      name: 'product',
      description: 'Product name',
      required: true,
      default: null,
    },
    {
      __typename: 'TemplateVariable' as const,
      name: 'tone',
      description: 'Voice',
      required: false,
      default: 'warm',
    },
  ],
};

export const pageMocks = [
  {
    request: { query: PromptTemplateDetailPageQuery, variables: { id } },
    result: { data: { template } },
  },
  {
    request: { query: YourExecutionsQuery, variables: { templateId: id, first: 5 } },
    result: { data: { myExecutions: executionsConnection([]) } },
  },
];

/**
 * A run's answer, written as the synchronous run's payload (`{ data: { executeTemplate } }`) or
 * an error, delivered as the stream's last event (ExecutionFinished) or its error.
 */
export function runMock(variables: Record<string, string>, result: object, payment?: string) {
  const input = { templateId: id, variables, ...(payment && { payment }) };
  const payload = (result as { data?: { executeTemplate?: Record<string, unknown> } }).data
    ?.executeTemplate;
  const streamed = payload
    ? {
        data: {
          runTemplate: {
            __typename: 'ExecutionFinished',
            output: payload.output,
            execution: payload.execution,
          },
        },
      }
    : result;
  // A short delay keeps the busy state on screen long enough to be asserted on a loaded machine.
  return {
    request: { query: RunTemplateStream, variables: { input } },
    result: streamed,
    delay: 100,
  };
}

export const paymentRequired = {
  errors: [{ message: 'Payment required', extensions: { code: 'PAYMENT_REQUIRED', x402 } }],
};

export const quoteMock = {
  request: { query: PaymentPromptQuery, variables: { templateId: id } },
  result: {
    data: {
      templatePaymentRequirements: {
        __typename: 'TemplatePaymentRequirements',
        simulated: true,
        paymentRequired: x402,
      },
    },
  },
};

export const PAYER = '0x2222222222222222222222222222222222222222';
export const TX = `0x${'ab'.repeat(32)}`;

export async function renderPage(
  extraMocks: object[] = [],
  options: Pick<Parameters<typeof renderWithApollo>[1] & object, 'runStream'> = {},
) {
  const view = renderWithApollo(<PromptTemplateDetailPage templateId={id} />, {
    mocks: [...pageMocks, ...(extraMocks as typeof pageMocks)],
    ...options,
  });
  await screen.findByRole('heading', { name: 'Product description writer' });
  return view;
}

/** Resets the demo wallet before each test, in a file that mocks ../payments/sign.ts. */
export function resetDemoWalletBeforeEach() {
  beforeEach(() => {
    vi.mocked(payWithDemoWallet).mockReset();
  });
}
