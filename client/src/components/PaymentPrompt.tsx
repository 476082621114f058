import { formatUsdc } from '../lib/format.ts';

/** What an x402 PAYMENT_REQUIRED error carries in `extensions.x402` (the parts shown here). */
export interface PaymentRequirements {
  accepts?: Array<{ network?: string; amount?: string; payTo?: string }>;
}

interface Props {
  /** The template's price per run, USDC. */
  priceUsdc: string;
  requirements?: PaymentRequirements;
  /**
   * Pays and re-runs. Absent until wallet payments land (an EIP-1193 wallet signs the x402
   * authorization with viem); until then the prompt explains what the run costs.
   */
  onPay?: () => void;
  paying?: boolean;
}

/** Shown when a run needs payment (PAYMENT_REQUIRED): the price, and how to pay. */
export function PaymentPrompt({ priceUsdc, requirements, onPay, paying = false }: Props) {
  const network = requirements?.accepts?.[0]?.network;
  return (
    <div className="notice notice--payment" role="alert">
      <p>
        <strong>Payment required.</strong> Running this template costs{' '}
        <strong>{formatUsdc(priceUsdc)}</strong> per run
        {network ? ` (network ${network})` : ''}.
      </p>
      {onPay ? (
        <button type="button" className="button" onClick={onPay} disabled={paying}>
          {paying ? 'Waiting for your wallet…' : `Pay ${formatUsdc(priceUsdc)} and run`}
        </button>
      ) : (
        <p className="muted">
          Paying from a browser wallet is not available here yet. The template's owner runs it for
          free.
        </p>
      )}
    </div>
  );
}
