import { CombinedGraphQLErrors } from '@apollo/client';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PAY_TO, paymentRequired } from '../test/factories.ts';
import { renderWithApollo } from '../test/renderWithApollo.tsx';
import { DEMO_WALLET_KEY } from './demoWallet.ts';
import { PaymentPrompt, PaymentPromptQuery } from './PaymentPrompt.tsx';
import { payWithBrowserWallet, payWithDemoWallet } from './sign.ts';
import { WalletError } from './walletError.ts';

// The signing code is what the prompt loads with import() when someone pays: stubbed here, so
// these tests are about what the page shows (sign.ts itself runs for real in the browser tests).
vi.mock('./sign.ts', () => ({
  payWithDemoWallet: vi.fn(),
  payWithBrowserWallet: vi.fn(),
}));

const templateId = 'VGVtcGxhdGU6Mg==';
const DEMO_ADDRESS = '0x1111111111111111111111111111111111111111';

const requirements = paymentRequired;

function quoteMock(simulated: boolean) {
  return {
    request: { query: PaymentPromptQuery, variables: { templateId } },
    result: {
      data: {
        templatePaymentRequirements: {
          __typename: 'TemplatePaymentRequirements' as const,
          simulated,
          paymentRequired: requirements,
        },
      },
    },
  };
}

const graphQLError = (code: string, reason?: string) =>
  new CombinedGraphQLErrors({
    data: null,
    errors: [{ message: code, extensions: { code, ...(reason && { reason }) } }],
  });

function renderPrompt({
  simulated = true,
  error,
  paying = false,
  onPay = vi.fn(async () => {}),
}: {
  simulated?: boolean;
  error?: unknown;
  paying?: boolean;
  onPay?: (payment: string) => Promise<unknown>;
} = {}) {
  const view = renderWithApollo(
    <PaymentPrompt
      templateId={templateId}
      priceUsdc="0.01"
      requirements={requirements}
      onPay={onPay}
      paying={paying}
      error={error}
    />,
    { mocks: [quoteMock(simulated)] },
  );
  return { ...view, onPay, prompt: screen.getByRole('region', { name: 'Payment required' }) };
}

/** Waits for the quote: the demo wallet (simulated) or its absence. */
const quoted = () =>
  waitFor(() =>
    expect(screen.queryByText(/No browser wallet found|with your wallet/)).toBeTruthy(),
  );
const demoSection = () =>
  screen.queryByRole('region', { name: 'Demo wallet — simulated payments, no real money' });

const fakeProvider = { request: vi.fn() };

beforeEach(() => {
  localStorage.clear();
  vi.mocked(payWithDemoWallet).mockReset();
  vi.mocked(payWithBrowserWallet).mockReset();
});
afterEach(() => {
  delete window.ethereum;
});

describe('PaymentPrompt', () => {
  it('shows the price: amount in USDC, network and pay-to address', async () => {
    const { prompt } = renderPrompt();
    const terms = prompt.querySelector('dl');
    expect(terms?.textContent).toContain('Amount0.01 USDC');
    expect(terms?.textContent).toContain('NetworkBase Sepolia (eip155:84532)');
    expect(within(prompt).getByText(PAY_TO)).toBeTruthy();
    expect(document.activeElement).toBe(within(prompt).getByRole('heading', { level: 3 }));
    await quoted();
  });

  it('offers the demo wallet only when the server says settlement is simulated', async () => {
    renderPrompt({ simulated: true });
    await waitFor(() => expect(demoSection()).toBeTruthy());
    expect(demoSection()?.textContent).toContain('no real money');
    expect(screen.getByRole('button', { name: 'Pay 0.01 USDC with the demo wallet' })).toBeTruthy();
  });

  it('offers no demo wallet when payments are settled for real', async () => {
    const { requests } = renderPrompt({ simulated: false });
    await waitFor(() => expect(requests).toContain('PaymentPromptQuery'));
    await quoted();
    expect(demoSection()).toBeNull();
    expect(screen.queryByRole('button', { name: /demo wallet/ })).toBeNull();
  });

  it('without a browser wallet, explains how to get one', async () => {
    const { prompt } = renderPrompt({ simulated: false });
    await quoted();
    expect(prompt.textContent).toContain('No browser wallet found.');
    expect(prompt.textContent).toMatch(/install a wallet extension such as MetaMask/);
    expect(prompt.textContent).toContain('add USDC on Base Sepolia');
    expect(within(prompt).getByRole('link', { name: 'find a wallet' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /with your wallet/ })).toBeNull();
  });

  it('with a browser wallet, pays through it and hands the payment to onPay', async () => {
    window.ethereum = fakeProvider;
    let sign: (value: { payment: string; payer: `0x${string}` }) => void = () => {};
    vi.mocked(payWithBrowserWallet).mockReturnValue(new Promise((resolve) => (sign = resolve)));
    const { onPay } = renderPrompt({ simulated: false });
    fireEvent.click(screen.getByRole('button', { name: 'Pay 0.01 USDC with your wallet' }));

    const waiting = await screen.findByRole('button', { name: 'Waiting for your wallet…' });
    expect((waiting as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByRole('status').textContent).toMatch(/Confirm in your wallet/);
    expect(payWithBrowserWallet).toHaveBeenCalledWith(fakeProvider, requirements);
    await act(async () => sign({ payment: 'cGF5bWVudA==', payer: DEMO_ADDRESS }));
    expect(onPay).toHaveBeenCalledWith('cGF5bWVudA==');
  });

  it('pays with the demo wallet and then shows its address', async () => {
    vi.mocked(payWithDemoWallet).mockImplementation(async () => {
      localStorage.setItem(
        DEMO_WALLET_KEY,
        JSON.stringify({ address: DEMO_ADDRESS, privateKey: `0x${'ab'.repeat(32)}` }),
      );
      return { payment: 'ZGVtbw==', payer: DEMO_ADDRESS };
    });
    const { onPay } = renderPrompt();
    await waitFor(() => expect(demoSection()).toBeTruthy());
    expect(demoSection()?.textContent).toContain('created in this browser the first time');

    fireEvent.click(screen.getByRole('button', { name: 'Pay 0.01 USDC with the demo wallet' }));
    await waitFor(() => expect(onPay).toHaveBeenCalledWith('ZGVtbw=='));
    expect(payWithDemoWallet).toHaveBeenCalledWith(requirements);
    expect(demoSection()?.textContent).toContain(`Address: ${DEMO_ADDRESS}`);
  });

  it('shows the busy state while the paid run is on its way', async () => {
    renderPrompt({ paying: true });
    expect(screen.getByRole('status').textContent).toContain('Paying and running…');
    await waitFor(() => expect(demoSection()).toBeTruthy());
    expect(
      (screen.getByRole('button', { name: /with the demo wallet/ }) as HTMLButtonElement).disabled,
    ).toBe(true);
  });

  it.each([
    [graphQLError('PAYMENT_INVALID', 'expired'), 'The payment authorization expired.'],
    [graphQLError('PAYMENT_INVALID', 'invalid_signature'), 'The payment signature is invalid.'],
    [graphQLError('PAYMENT_INVALID', 'amount_mismatch'), 'The price changed since you signed.'],
    [graphQLError('PAYMENT_ALREADY_USED'), 'This payment was already used.'],
    [
      graphQLError('PAYMENT_FAILED', 'facilitator_unavailable'),
      'The payment service could not be reached.',
    ],
    [graphQLError('PAYMENT_FAILED', 'settlement_unknown'), 'The payment has no clear outcome yet.'],
    [
      graphQLError('PAYMENT_FAILED', 'invalid_exact_evm_insufficient_balance'),
      'Your wallet does not hold enough USDC on Base Sepolia.',
    ],
    [
      graphQLError('PAYMENT_FAILED', 'unexpected_settle_error'),
      'The payment could not be settled.',
    ],
  ])('explains the server refusing the payment (%s)', async (error, title) => {
    renderPrompt({ error });
    const alert = await screen.findByRole('alert');
    expect(alert.querySelector('strong')?.textContent).toBe(title);
    await quoted();
  });

  it.each([
    [
      new WalletError('rejected', 'declined'),
      'You declined the request in your wallet.',
      /Nothing was signed and nothing was paid/,
    ],
    [
      new WalletError('wrong_chain', 'The wallet is on chain 1, not Base Sepolia.', 1),
      'Your wallet is not on Base Sepolia.',
      /Switch your wallet to Base Sepolia \(eip155:84532\)/,
    ],
    [
      new WalletError('no_account', 'none'),
      'Your wallet shared no account.',
      /allow this site to see an account/,
    ],
    [
      new WalletError('failed', 'Internal JSON-RPC error.'),
      'Your wallet could not sign the payment.',
      /Internal JSON-RPC error/,
    ],
  ])('explains a wallet problem (%s)', async (problem, title, detail) => {
    window.ethereum = fakeProvider;
    vi.mocked(payWithBrowserWallet).mockRejectedValue(problem);
    const { onPay } = renderPrompt({ simulated: false });
    fireEvent.click(screen.getByRole('button', { name: 'Pay 0.01 USDC with your wallet' }));
    const alert = await screen.findByRole('alert');
    expect(alert.querySelector('strong')?.textContent).toBe(title);
    expect(alert.textContent).toMatch(detail);
    expect(onPay).not.toHaveBeenCalled();
    // Pay again: the explanation goes away while the wallet is asked again.
    vi.mocked(payWithBrowserWallet).mockReturnValue(new Promise(() => {}));
    fireEvent.click(screen.getByRole('button', { name: 'Pay 0.01 USDC with your wallet' }));
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });
});
