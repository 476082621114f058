import type { FacilitatorClient } from '@x402/core/http';
import type {
  Network,
  PaymentPayload,
  PaymentRequired,
  PaymentRequirements,
  ResourceInfo,
  SettleResponse,
  SupportedResponse,
  VerifyResponse,
} from '@x402/core/types';

export type {
  FacilitatorClient,
  Network,
  PaymentPayload,
  PaymentRequired,
  PaymentRequirements,
  ResourceInfo,
  SettleResponse,
  SupportedResponse,
  VerifyResponse,
};

export interface PricedTemplate {
  id: string;
  name: string;
  description: string;
  /** Decimal USDC string with at most 6 decimals, e.g. "0.010000". */
  priceUsdc: string;
  payTo: string;
  /** CAIP-2 network, e.g. "eip155:84532". */
  network: string;
}

/** The token to charge in when it is not the network's default USDC (e.g. a local test chain). */
export interface AssetOverride {
  address: string;
  /** EIP-712 domain name of the token contract. */
  name: string;
  /** EIP-712 domain version of the token contract. */
  version: string;
}

/** What a verified EIP-3009 payment commits to; (network, asset, payer, nonce) identifies it. */
export interface VerifiedPayment {
  payer: `0x${string}`;
  nonce: `0x${string}`;
  asset: `0x${string}`;
  network: Network;
  amount: string;
  signature: `0x${string}`;
  /** When the authorization expires: unused by then, it can never be settled. */
  validBefore: Date;
}
