/**
 * What the page needs to know about x402 v2 payment requirements, without loading the x402 or
 * viem code (that is loaded only when someone pays: see sign.ts).
 */

/** One way to pay, as the server offers it in `accepts` (the `exact` scheme on EVM). */
export interface PaymentRequirement {
  scheme: string;
  /** CAIP-2, e.g. eip155:84532. */
  network: string;
  /** Token contract. */
  asset: string;
  /** In the token's smallest unit: the exact value the authorization carries. */
  amount: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra?: Record<string, unknown>;
}

/** The x402 PaymentRequired of a run (`extensions.x402` of PAYMENT_REQUIRED), signed as is. */
export interface PaymentRequired {
  x402Version: number;
  accepts: PaymentRequirement[];
  resource?: { url: string; description?: string; mimeType?: string };
  /** Set on the fresh requirements of PAYMENT_INVALID: why the last payment was refused. */
  error?: string;
}

/** The server prices runs in USDC, which has 6 decimals on every network it takes. */
export const USDC_DECIMALS = 6;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

function isRequirement(value: unknown): value is PaymentRequirement {
  return (
    isRecord(value) &&
    typeof value.scheme === 'string' &&
    typeof value.network === 'string' &&
    typeof value.asset === 'string' &&
    typeof value.amount === 'string' &&
    typeof value.payTo === 'string'
  );
}

/** The PaymentRequired in an error's extensions or a quote, or null when it is not one. */
export function asPaymentRequired(value: unknown): PaymentRequired | null {
  if (!isRecord(value) || typeof value.x402Version !== 'number') return null;
  if (!Array.isArray(value.accepts) || !value.accepts.every(isRequirement)) return null;
  return value.accepts.length > 0 ? (value as unknown as PaymentRequired) : null;
}

/** "10000" (atomic) → "0.01": exact, no floating point. */
export function atomicToDecimal(atomic: string, decimals = USDC_DECIMALS): string {
  if (!/^\d+$/.test(atomic)) return atomic;
  const digits = atomic.replace(/^0+/, '').padStart(decimals + 1, '0');
  const whole = digits.slice(0, -decimals);
  const fraction = digits.slice(-decimals).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

const NETWORK_NAMES: Record<string, string> = {
  'eip155:1': 'Ethereum',
  'eip155:11155111': 'Sepolia',
  'eip155:8453': 'Base',
  'eip155:84532': 'Base Sepolia',
  'eip155:10': 'Optimism',
  'eip155:137': 'Polygon',
  'eip155:80002': 'Polygon Amoy',
  'eip155:42161': 'Arbitrum One',
  'eip155:43114': 'Avalanche',
  'eip155:43113': 'Avalanche Fuji',
};

/** "Base Sepolia" for eip155:84532; the CAIP-2 id itself for a network we have no name for. */
export const networkName = (network: string) => NETWORK_NAMES[network] ?? network;

/** The EVM chain id of a CAIP-2 `eip155:<id>` network; null for anything else. */
export function evmChainId(network: string): number | null {
  const match = /^eip155:(\d+)$/.exec(network);
  return match ? Number(match[1]) : null;
}

const EXPLORERS: Record<string, string> = {
  'eip155:1': 'https://etherscan.io',
  'eip155:11155111': 'https://sepolia.etherscan.io',
  'eip155:8453': 'https://basescan.org',
  'eip155:84532': 'https://sepolia.basescan.org',
};

export interface Transaction {
  hash: string;
  /** Settled by the server's offline facilitator: nothing happened on chain. */
  simulated: boolean;
  /** A block explorer's page for a real transaction on a known network. */
  url: string | null;
}

/** Execution.paymentTransaction: "0x…" on chain, "simulated:0x…" when settled offline. */
export function parseTransaction(transaction: string, network: string | null): Transaction {
  const simulated = transaction.startsWith('simulated:');
  const hash = simulated ? transaction.slice('simulated:'.length) : transaction;
  const explorer = network ? EXPLORERS[network] : undefined;
  const url =
    !simulated && explorer && /^0x[0-9a-fA-F]{64}$/.test(hash) ? `${explorer}/tx/${hash}` : null;
  return { hash, simulated, url };
}

/** 0x1234…abcd, for places too narrow for a whole address or hash (the whole one is the title). */
export const shortHex = (hex: string) =>
  hex.length > 14 ? `${hex.slice(0, 6)}…${hex.slice(-4)}` : hex;
