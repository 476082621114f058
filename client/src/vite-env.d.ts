/// <reference types="vite/client" />

interface Window {
  /** An EIP-1193 provider injected by a browser wallet extension (MetaMask, Coinbase Wallet…). */
  ethereum?: import('./payments/eip1193.ts').Eip1193Provider;
}
