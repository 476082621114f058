import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { EMPTY_HISTORY_TEXT } from '../executions/YourExecutions.tsx';
import { payWithDemoWallet } from '../payments/sign.ts';
import { execution } from '../test/factories.ts';
import {
  PAYER,
  paymentRequired,
  quoteMock,
  renderPage,
  resetDemoWalletBeforeEach,
  runMock,
} from '../test/templatePage.tsx';

// Automocked: every export of sign.ts is a vi.fn().
vi.mock('../payments/sign.ts');

resetDemoWalletBeforeEach();

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
