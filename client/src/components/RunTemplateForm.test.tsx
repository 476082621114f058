import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import {
  PromptTemplateDetailPage,
  PromptTemplateDetailPageQuery,
} from '../routes/PromptTemplateDetailPage.tsx';
import { execution, executionsConnection } from '../test/factories.ts';
import { renderWithApollo } from '../test/renderWithApollo.tsx';
import { missingRequired, RunTemplateMutation } from './RunTemplateForm.tsx';
import { YourExecutionsQuery } from './YourExecutions.tsx';

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

function runMock(variables: Record<string, string>, result: object) {
  return {
    request: { query: RunTemplateMutation, variables: { input: { templateId: id, variables } } },
    result,
  };
}

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
    await renderPage([
      runMock(
        { product: 'Lamp' },
        {
          errors: [
            {
              message: 'Payment required',
              extensions: {
                code: 'PAYMENT_REQUIRED',
                x402: { accepts: [{ network: 'eip155:84532', amount: '10000' }] },
              },
            },
          ],
        },
      ),
    ]);
    fireEvent.change(screen.getByLabelText(/^product/), { target: { value: 'Lamp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    const prompt = await screen.findByRole('alert');
    expect(prompt.textContent).toContain('Payment required.');
    expect(within(prompt).getByText('0.01 USDC')).toBeTruthy();
    expect(prompt.textContent).toContain('eip155:84532');
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
