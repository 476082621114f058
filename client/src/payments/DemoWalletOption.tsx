import { useId } from 'react';

interface Props {
  /** The demo wallet kept in this browser, if one was made. */
  address: string | null;
  amount: string;
  signing: boolean;
  disabled: boolean;
  onPay: () => void;
}

/** Paying with a key made in this browser: offered only when settlement is simulated. */
export function DemoWalletOption({ address, amount, signing, disabled, onPay }: Props) {
  const headingId = useId();
  return (
    <section className="payment__option payment__option--demo" aria-labelledby={headingId}>
      <h4 id={headingId}>Demo wallet — simulated payments, no real money</h4>
      <p className="muted">
        This server only simulates settlement: a payment is signed and verified like a real one, but
        nothing is sent on chain. The demo wallet is a key made in this browser and kept in its
        storage; it holds no funds.
      </p>
      <p className="payment__demo-address">
        {address ? (
          <>
            Address: <code className="payment__address">{address}</code>
          </>
        ) : (
          'A demo wallet is created in this browser the first time you pay with it.'
        )}
      </p>
      <button type="button" className="button" onClick={onPay} disabled={disabled}>
        {signing ? 'Signing…' : `Pay ${amount} with the demo wallet`}
      </button>
    </section>
  );
}
