import { useId } from 'react';
import { networkName } from './x402.ts';

interface Props {
  /** A wallet extension (EIP-1193) is in this browser. */
  available: boolean;
  /** The network to pay on, once known. */
  network?: string;
  amount: string;
  /** This server's settlement is simulated, so the demo wallet is offered beside. */
  simulated: boolean;
  signing: boolean;
  disabled: boolean;
  onPay: () => void;
}

/** Paying with the browser's wallet, or how to get one. */
export function BrowserWalletOption({
  available,
  network,
  amount,
  simulated,
  signing,
  disabled,
  onPay,
}: Props) {
  const headingId = useId();
  return (
    <section className="payment__option" aria-labelledby={headingId}>
      <h4 id={headingId}>Browser wallet</h4>
      {available ? (
        <>
          <p className="muted">
            Your wallet asks to switch to {network ? networkName(network) : 'the network'} if
            needed, then to sign a USDC transfer of exactly {amount} to the address above.
          </p>
          <button
            type="button"
            className="button button--primary"
            onClick={onPay}
            disabled={disabled}
          >
            {signing ? 'Waiting for your wallet…' : `Pay ${amount} with your wallet`}
          </button>
        </>
      ) : (
        <p className="payment__no-wallet">
          No browser wallet found. To pay with USDC from this browser, install a wallet extension
          such as MetaMask, Coinbase Wallet or Rabby (
          <a href="https://ethereum.org/en/wallets/find-wallet/" target="_blank" rel="noreferrer">
            find a wallet
          </a>
          ), add USDC on {network ? networkName(network) : 'the network above'} to it, and reload
          this page.
          {simulated && ' Or try the whole flow now with the demo wallet.'}
        </p>
      )}
    </section>
  );
}
