import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { payWithDemoWallet } from '../payments/sign.ts';
import { execution } from '../test/factories.ts';
import {
  PAYER,
  paymentRequired,
  quoteMock,
  renderPage,
  resetDemoWalletBeforeEach,
  runMock,
  TX,
  x402,
} from '../test/templatePage.tsx';

// Automocked: every export of sign.ts is a vi.fn().
vi.mock('../payments/sign.ts');

resetDemoWalletBeforeEach();

describe('RunTemplateForm', () => {
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

    const output = await screen.findByRole('region', { name: 'Output' });
    expect(output.textContent).toContain('A paid-for lamp.');
    const receipt = within(output).getByRole('region', { name: 'Payment receipt' });
    expect(receipt.textContent).toContain('Paid 0.01 USDC on Base Sepolia from 0x2222…2222.');
    expect(within(receipt).getByTitle(TX).textContent).toBe('0xabab…abab');
    expect(within(receipt).getByText('simulated')).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Payment required' })).toBeNull();
    expect(requests.filter((name) => name === 'RunTemplateStream')).toHaveLength(2);
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
