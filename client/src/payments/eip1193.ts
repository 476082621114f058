/** What a browser wallet injects as window.ethereum (EIP-1193): all this page calls is `request`. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

/** The browser wallet, if one is installed. */
export const browserWallet = (): Eip1193Provider | undefined =>
  typeof window === 'undefined' ? undefined : window.ethereum;
