import { useQuery } from '@apollo/client/react';
import { useEffect, useId, useRef, useState } from 'react';
import { graphql } from '../gql/index.ts';
import { formatUsdc } from '../lib/format.ts';
import { BrowserWalletOption } from './BrowserWalletOption.tsx';
import { DemoWalletOption } from './DemoWalletOption.tsx';
import { readDemoWallet } from './demoWallet.ts';
import { browserWallet } from './eip1193.ts';
import { explainPaymentProblem } from './explain.ts';
import { PaymentTerms } from './PaymentTerms.tsx';
import { WalletError } from './walletError.ts';
import { asPaymentRequired, atomicToDecimal, type PaymentRequired } from './x402.ts';

/**
 * The quote, for what the error does not say: whether this server's settlement is simulated
 * (then a demo wallet is offered). Asked only once a run needs payment, so a quote error never
 * hides the page.
 */
export const PaymentPromptQuery = graphql(`
  query PaymentPromptQuery($templateId: ID!) {
    templatePaymentRequirements(templateId: $templateId) {
      simulated
      paymentRequired
    }
  }
`);

type Wallet = 'browser' | 'demo';

interface Props {
  templateId: string;
  /** The template's price per run (USDC), shown when the requirements do not say. */
  priceUsdc: string;
  /** What to sign: `extensions.x402` of the PAYMENT_REQUIRED (or PAYMENT_INVALID) error. */
  requirements?: PaymentRequired | null;
  /** Sends the run again with the signed payment (base64 PaymentPayload, `input.payment`). */
  onPay: (payment: string) => Promise<unknown>;
  /** The paid run is on its way. */
  paying?: boolean;
  /** The server's answer to the last paid run, when it refused or failed the payment. */
  error?: unknown;
}

/**
 * Shown when a run needs payment: the price (amount, network, pay-to) and two ways to pay — a
 * browser wallet (EIP-1193) and, only when the server's settlement is simulated, a demo wallet
 * kept in this browser. The signing code (viem, x402) is loaded when the payer clicks pay.
 */
export function PaymentPrompt({
  templateId,
  priceUsdc,
  requirements,
  onPay,
  paying = false,
  error,
}: Props) {
  const id = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const quote = useQuery(PaymentPromptQuery, {
    variables: { templateId },
    fetchPolicy: 'network-only',
  });
  const [signing, setSigning] = useState<Wallet | null>(null);
  const [walletProblem, setWalletProblem] = useState<unknown>(null);
  const [demoAddress, setDemoAddress] = useState(() => readDemoWallet()?.address ?? null);
  const hasBrowserWallet = Boolean(browserWallet());

  useEffect(() => {
    heading.current?.focus();
  }, []);

  const quoted = quote.data?.templatePaymentRequirements;
  const simulated = quoted?.simulated === true;
  const toSign = requirements ?? asPaymentRequired(quoted?.paymentRequired);
  const terms = toSign?.accepts[0];
  const amount = formatUsdc(terms ? atomicToDecimal(terms.amount) : priceUsdc);
  const busy = signing !== null || paying;

  async function pay(wallet: Wallet) {
    if (busy || !toSign) return;
    setWalletProblem(null);
    setSigning(wallet);
    try {
      const sign = await import('./sign.ts').catch(() => {
        throw new WalletError('load_failed', 'The payment code could not be loaded.');
      });
      const signed =
        wallet === 'demo'
          ? await sign.payWithDemoWallet(toSign)
          : await sign.payWithBrowserWallet(browserWallet(), toSign);
      if (wallet === 'demo') setDemoAddress(readDemoWallet()?.address ?? null);
      setSigning(null);
      await onPay(signed.payment);
    } catch (problem) {
      setSigning(null);
      setWalletProblem(problem);
    }
  }

  const problem = busy ? null : explainPaymentProblem(walletProblem ?? error, terms?.network);

  return (
    <section
      className="notice notice--payment payment"
      aria-labelledby={`${id}-title`}
      aria-busy={busy}
    >
      <h3 id={`${id}-title`} ref={heading} tabIndex={-1}>
        Payment required
      </h3>
      <p>Running this template costs a fee per run, charged only when the run succeeds.</p>
      <PaymentTerms amount={amount} terms={terms} />

      <div className="payment__options">
        <BrowserWalletOption
          available={hasBrowserWallet}
          network={terms?.network}
          amount={amount}
          simulated={simulated}
          signing={signing === 'browser'}
          disabled={busy || !toSign}
          onPay={() => void pay('browser')}
        />
        {simulated && (
          <DemoWalletOption
            address={demoAddress}
            amount={amount}
            signing={signing === 'demo'}
            disabled={busy || !toSign}
            onPay={() => void pay('demo')}
          />
        )}
      </div>

      {busy && <PaymentStatus paying={paying} signing={signing} />}
      {problem && (
        <div className="notice notice--error" role="alert">
          <p>
            <strong>{problem.title}</strong> {problem.detail}
          </p>
        </div>
      )}
    </section>
  );
}

/** What the prompt is waiting for: the paid run, or a wallet's signature. */
function PaymentStatus({ paying, signing }: { paying: boolean; signing: Wallet | null }) {
  return (
    <p className="loading muted" role="status">
      <span className="spinner" aria-hidden="true" />
      {paying
        ? 'Paying and running… the model is answering.'
        : signing === 'browser'
          ? 'Confirm in your wallet: switch network if asked, then sign the payment.'
          : 'Signing with the demo wallet…'}
    </p>
  );
}
