/** Why a wallet did not produce a payment: each is explained to the payer in words. */
export type WalletProblem =
  /** No EIP-1193 provider (window.ethereum) in this browser. */
  | 'no_wallet'
  /** The payer declined a request in the wallet (EIP-1193 error 4001). */
  | 'rejected'
  /** The wallet shared no account. */
  | 'no_account'
  /** The wallet is on another chain and did not switch to the requirement's network. */
  | 'wrong_chain'
  /** The requirements are not something this page can sign (not the exact scheme on EVM). */
  | 'unsupported'
  /** The payment code could not be loaded (offline, or a new deployment). */
  | 'load_failed'
  /** Anything else the wallet or the signing code reported. */
  | 'failed';

export class WalletError extends Error {
  override readonly name = 'WalletError';
  constructor(
    readonly problem: WalletProblem,
    message: string,
    /** For wrong_chain: the chain id the wallet is on, when known. */
    readonly chainId?: number,
  ) {
    super(message);
  }
}

export const isWalletError = (error: unknown): error is WalletError => error instanceof WalletError;
