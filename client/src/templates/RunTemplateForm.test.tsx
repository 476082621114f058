import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EMPTY_HISTORY_TEXT, YourExecutionsQuery } from '../executions/YourExecutions.tsx';
import { PaymentPromptQuery } from '../payments/PaymentPrompt.tsx';
import { payWithDemoWallet } from '../payments/sign.ts';
import {
  PromptTemplateDetailPage,
  PromptTemplateDetailPageQuery,
} from '../routes/TemplatePage.tsx';
import { execution, executionsConnection } from '../test/factories.ts';
import { renderWithApollo } from '../test/renderWithApollo.tsx';
import { missingRequired } from './RunTemplateForm.tsx';
import { RunTemplateMutation } from './useCheckout.ts';

vi.mock('../payments/sign.ts', () => ({
  payWithDemoWallet: vi.fn(),
  payWithBrowserWallet: vi.fn(),
}));

const id = 'VGVtcGxhdGU6Mg==';

const template = {
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

const pageMocks = [
  {
    request: { query: PromptTemplateDetailPageQuery, variables: { id } },
    result: { data: { template } },
  },
  {
    request: { query: YourExecutionsQuery, variables: { templateId: id, first: 5 } },
    result: { data: { myExecutions: executionsConnection([]) } },
  },
];

function runMock(variables: Record<string, string>, result: object, payment?: string) {
  const input = { templateId: id, variables, ...(payment && { payment }) };
  // A short delay keeps the busy state on screen long enough to be asserted on a loaded machine.
  return { request: { query: RunTemplateMutation, variables: { input } }, result, delay: 100 };
}

const x402 = {
  x402Version: 2,
  resource: { url: 'http://localhost/graphql' },
  accepts: [
    {
      scheme: 'exact',
      network: 'eip155:84532',
      asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
      amount: '10000',
      payTo: '0x5C0d1E5bD0000000000000000000000000000001',
      maxTimeoutSeconds: 450,
      extra: { name: 'USDC', version: '2' },
    },
  ],
};

const paymentRequired = {
  errors: [{ message: 'Payment required', extensions: { code: 'PAYMENT_REQUIRED', x402 } }],
};

const quoteMock = {
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

const PAYER = '0x2222222222222222222222222222222222222222';
const TX = `0x${'ab'.repeat(32)}`;

beforeEach(() => {
  vi.mocked(payWithDemoWallet).mockReset();
});

async function renderPage(extraMocks: object[] = []) {
  const view = renderWithApollo(<PromptTemplateDetailPage templateId={id} />, {
    mocks: [...pageMocks, ...(extraMocks as typeof pageMocks)],
  });
  await screen.findByRole('heading', { name: 'Product description writer' });
  return view;
}

describe('RunTemplateForm', () => {
  it('builds the form from the declared variables, marking the required ones', async () => {
    await renderPage();
    const product = screen.getByLabelText(/^product/);
    const tone = screen.getByLabelText(/^tone/);
    expect(product.hasAttribute('required')).toBe(true);
    expect(tone.hasAttribute('required')).toBe(false);
    expect(tone.getAttribute('placeholder')).toBe('warm');
    expect(screen.getByText('Product name').id).toBe(product.getAttribute('aria-describedby'));
  });

  it('validates required variables before sending anything', async () => {
    const { requests } = await renderPage();
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    const product = screen.getByLabelText(/^product/);
    expect(product.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Enter a value for product.')).toBeTruthy();
    expect(document.activeElement).toBe(product);
    expect(requests).not.toContain('RunTemplate');
  });

  it('sends the filled-in variables, shows the busy state, then the output', async () => {
    await renderPage([
      runMock(
        { product: 'Lamp' },
        {
          data: {
            executeTemplate: {
              __typename: 'ExecuteTemplatePayload',
              output: 'A warm little lamp.',
              execution: execution('E1'),
            },
          },
        },
      ),
    ]);
    fireEvent.change(screen.getByLabelText(/^product/), { target: { value: 'Lamp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    const busy = screen.getByRole('button', { name: 'Running…' }) as HTMLButtonElement;
    expect(busy.disabled).toBe(true);
    const output = await screen.findByRole('region', { name: 'Output' });
    expect(output.textContent).toContain('A warm little lamp.');
  });

  it("shows a failed run's error", async () => {
    await renderPage([
      runMock(
        { product: 'Lamp' },
        {
          data: {
            executeTemplate: {
              __typename: 'ExecuteTemplatePayload',
              output: null,
              execution: execution('E1', { status: 'FAILED', errorMessage: 'overloaded' }),
            },
          },
        },
      ),
    ]);
    fireEvent.change(screen.getByLabelText(/^product/), { target: { value: 'Lamp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The run failed.');
    expect(alert.textContent).toContain('overloaded');
  });

  it('asks for payment with the price when the run needs it', async () => {
    await renderPage([runMock({ product: 'Lamp' }, paymentRequired), quoteMock]);
    fireEvent.change(screen.getByLabelText(/^product/), { target: { value: 'Lamp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    const prompt = await screen.findByRole('region', { name: 'Payment required' });
    expect(within(prompt).getByText('0.01 USDC')).toBeTruthy();
    expect(prompt.textContent).toContain('eip155:84532');
    await within(prompt).findByRole('button', { name: 'Pay 0.01 USDC with the demo wallet' });
  });

  it('pays: sends the same run with input.payment, then shows the output and the receipt', async () => {
    vi.mocked(payWithDemoWallet).mockResolvedValue({ payment: 'c2lnbmVk', payer: PAYER });
    const { requests } = await renderPage([
      runMock({ product: 'Lamp' }, paymentRequired),
      quoteMock,
      runMock(
        { product: 'Lamp' },
        {
          data: {
            executeTemplate: {
              __typename: 'ExecuteTemplatePayload',
              output: 'A paid-for lamp.',
              execution: execution('E9', {
                amountPaid: '0.01',
                network: 'eip155:84532',
                payerAddress: PAYER,
                paymentTransaction: `simulated:${TX}`,
              }),
            },
          },
        },
        'c2lnbmVk',
      ),
    ]);
    fireEvent.change(screen.getByLabelText(/^product/), { target: { value: 'Lamp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    fireEvent.click(
      await screen.findByRole('button', { name: 'Pay 0.01 USDC with the demo wallet' }),
    );
    await screen.findByText(/Paying and running/);
    expect(payWithDemoWallet).toHaveBeenCalledWith(x402);
    // Signing comes first, then the run: wait for the run's busy state rather than race it.
    const running = (await screen.findByRole('button', { name: 'Running…' })) as HTMLButtonElement;
    expect(running.disabled).toBe(true);

    const output = await screen.findByRole('region', { name: 'Output' });
    expect(output.textContent).toContain('A paid-for lamp.');
    const receipt = within(output).getByRole('region', { name: 'Payment receipt' });
    expect(receipt.textContent).toContain('Paid 0.01 USDC on Base Sepolia from 0x2222…2222.');
    expect(within(receipt).getByTitle(TX).textContent).toBe('0xabab…abab');
    expect(within(receipt).getByText('simulated')).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Payment required' })).toBeNull();
    expect(requests.filter((name) => name === 'RunTemplate')).toHaveLength(2);
  });

  it('keeps the prompt open and explains a refused payment, to pay again', async () => {
    vi.mocked(payWithDemoWallet).mockResolvedValue({ payment: 'c3RhbGU=', payer: PAYER });
    await renderPage([
      runMock({ product: 'Lamp' }, paymentRequired),
      quoteMock,
      runMock(
        { product: 'Lamp' },
        {
          errors: [
            {
              message: 'Payment invalid: expired',
              extensions: {
                code: 'PAYMENT_INVALID',
                reason: 'expired',
                x402: { ...x402, error: 'expired' },
              },
            },
          ],
        },
        'c3RhbGU=',
      ),
    ]);
    fireEvent.change(screen.getByLabelText(/^product/), { target: { value: 'Lamp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    fireEvent.click(
      await screen.findByRole('button', { name: 'Pay 0.01 USDC with the demo wallet' }),
    );
    const prompt = await screen.findByRole('region', { name: 'Payment required' });
    const alert = await within(prompt).findByRole('alert');
    expect(alert.textContent).toContain('The payment authorization expired.');
    await waitFor(() =>
      expect(
        (screen.getByRole('button', { name: /with the demo wallet/ }) as HTMLButtonElement)
          .disabled,
      ).toBe(false),
    );
  });

  it('explains PAYMENT_UNAVAILABLE without offering to pay', async () => {
    await renderPage([
      runMock(
        { product: 'Lamp' },
        {
          errors: [
            {
              message: 'This server cannot take payments on eip155:1',
              extensions: { code: 'PAYMENT_UNAVAILABLE', network: 'eip155:1' },
            },
          ],
        },
      ),
    ]);
    fireEvent.change(screen.getByLabelText(/^product/), { target: { value: 'Lamp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('This server takes no payments');
    expect(screen.queryByRole('region', { name: 'Payment required' })).toBeNull();
  });
});

describe('RunTemplateForm and the history', () => {
  const ran = (node: ReturnType<typeof execution>, output = 'A lamp.') => ({
    data: { executeTemplate: { __typename: 'ExecuteTemplatePayload', output, execution: node } },
  });
  const historyRows = () =>
    within(screen.getByRole('list', { name: 'Your most recent executions' })).getAllByRole(
      'listitem',
    );
  const count = () => screen.getByRole('button', { name: /Your Executions/ }).textContent;

  async function runLamp(extraMocks: object[]) {
    const view = await renderPage(extraMocks);
    await screen.findByText(EMPTY_HISTORY_TEXT);
    fireEvent.change(screen.getByLabelText(/^product/), { target: { value: 'Lamp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    const logged = (node: ReturnType<typeof execution>) =>
      act(() => view.subscriptions.simulateResult({ result: { data: { executionLogged: node } } }));
    return { ...view, logged };
  }

  it("shows the run in the history from the mutation's result, once when its live event follows", async () => {
    const { logged, requests } = await runLamp([
      runMock({ product: 'Lamp' }, ran(execution('E1', { inputTokens: 77 }))),
    ]);
    await screen.findByRole('region', { name: 'Output' });
    expect(historyRows()).toHaveLength(1);
    expect(historyRows()[0]?.textContent).toContain('77 in');
    expect(count()).toBe('Your Executions1');
    expect(requests.filter((name) => name === 'YourExecutionsQuery')).toHaveLength(1);

    logged(execution('E1', { inputTokens: 77 }));
    logged(execution('E2', { inputTokens: 88 }));
    expect(await screen.findByText(/88 in/)).toBeTruthy();
    expect(historyRows()).toHaveLength(2);
    expect(count()).toBe('Your Executions2');
  });

  it("counts the run once when its live event comes before the mutation's result", async () => {
    const { logged } = await runLamp([
      runMock({ product: 'Lamp' }, ran(execution('E1', { inputTokens: 77 }))),
    ]);
    logged(execution('E1', { inputTokens: 77 }));
    expect(await screen.findByText(/77 in/)).toBeTruthy();
    await screen.findByRole('region', { name: 'Output' });
    expect(historyRows()).toHaveLength(1);
    expect(count()).toBe('Your Executions1');
  });

  it("shows a paid run in the history from the paid mutation's result", async () => {
    vi.mocked(payWithDemoWallet).mockResolvedValue({ payment: 'c2lnbmVk', payer: PAYER });
    await runLamp([
      runMock({ product: 'Lamp' }, paymentRequired),
      quoteMock,
      runMock(
        { product: 'Lamp' },
        ran(execution('E9', { amountPaid: '0.01', network: 'eip155:84532', payerAddress: PAYER })),
        'c2lnbmVk',
      ),
    ]);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Pay 0.01 USDC with the demo wallet' }),
    );
    await screen.findByRole('region', { name: 'Output' });
    expect(historyRows()).toHaveLength(1);
    expect(historyRows()[0]?.textContent).toContain('0.01 USDC');
    expect(count()).toBe('Your Executions1');
  });
});

describe('missingRequired', () => {
  const variables = [
    { name: 'a', required: true },
    { name: 'b', required: false },
  ];
  it('lists required variables that are blank or whitespace', () => {
    expect(missingRequired(variables, {})).toEqual(['a']);
    expect(missingRequired(variables, { a: '   ' })).toEqual(['a']);
    expect(missingRequired(variables, { a: 'x' })).toEqual([]);
  });
});
