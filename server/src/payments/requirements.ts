import { x402Version } from '@x402/core';
import { convertToTokenAmount } from '@x402/core/utils';
import { DEFAULT_ASSETS, getDefaultAsset } from '@x402/evm';
import { getAddress, isAddress } from 'viem';
import type {
  AssetOverride,
  Network,
  PaymentRequired,
  PaymentRequirements,
  PricedTemplate,
  ResourceInfo,
} from './types.ts';

export const USDC_DECIMALS = 6;
/** Long enough for verify, the model call and settlement to finish before the authorization expires. */
export const DEFAULT_MAX_TIMEOUT_SECONDS = 300;

const PRICE_PATTERN = /^\d+(?:\.\d{1,6})?$/;
const EVM_NETWORK_PATTERN = /^eip155:[1-9]\d*$/;

export interface RequirementOptions {
  asset?: AssetOverride;
  maxTimeoutSeconds?: number;
  /**
   * What the payment buys, in `extra.resource`: a payment's `accepted` requirements must name
   * it, so an authorization signed for one template cannot pay for another.
   */
  resource?: string;
}

/** The resource a run of a template is: its GraphQL global ID (what callers pass as templateId). */
export const templateResource = (templateId: string) =>
  Buffer.from(`Template:${templateId}`).toString('base64');

/** "0.01" → "10000": exact decimal-string conversion, never through floating point. */
export function priceToAtomicUnits(priceUsdc: string): string {
  if (!PRICE_PATTERN.test(priceUsdc)) {
    throw new RangeError(
      `Invalid USDC price "${priceUsdc}": expected a plain decimal with at most ${USDC_DECIMALS} decimals`,
    );
  }
  const atomic = convertToTokenAmount(priceUsdc, USDC_DECIMALS);
  if (BigInt(atomic) === 0n) {
    throw new RangeError(`Invalid USDC price "${priceUsdc}": a paid run must cost more than 0`);
  }
  return atomic;
}

export function buildPaymentRequirements(
  template: PricedTemplate,
  options: RequirementOptions = {},
): PaymentRequirements {
  const network = parseEvmNetwork(template.network);
  if (!isAddress(template.payTo)) {
    throw new RangeError(`Template ${template.id} has an invalid payTo address`);
  }
  const asset = options.asset ?? defaultUsdc(network);
  return {
    scheme: 'exact',
    network,
    asset: getAddress(asset.address),
    amount: priceToAtomicUnits(template.priceUsdc),
    payTo: getAddress(template.payTo),
    maxTimeoutSeconds: options.maxTimeoutSeconds ?? DEFAULT_MAX_TIMEOUT_SECONDS,
    extra: {
      name: asset.name,
      version: asset.version,
      ...(options.resource === undefined ? {} : { resource: options.resource }),
    },
  };
}

export function buildPaymentRequired(
  requirements: PaymentRequirements[],
  resource: ResourceInfo,
  error?: string,
): PaymentRequired {
  return {
    x402Version,
    ...(error === undefined ? {} : { error }),
    resource,
    accepts: requirements,
  };
}

/** The PaymentRequired a caller gets for running `template` at `resourceUrl`. */
export function buildTemplatePaymentRequired(
  template: PricedTemplate,
  resourceUrl: string,
  options: RequirementOptions = {},
  error?: string,
): PaymentRequired {
  const resource: ResourceInfo = {
    url: resourceUrl,
    description: template.description,
    mimeType: 'application/json',
  };
  return buildPaymentRequired([buildPaymentRequirements(template, options)], resource, error);
}

function parseEvmNetwork(network: string): Network {
  if (!EVM_NETWORK_PATTERN.test(network)) {
    throw new RangeError(`Unsupported network "${network}": expected CAIP-2 eip155:<chainId>`);
  }
  return network as Network;
}

/**
 * The token runs are paid in on `network`: the override for it if any, else the network's USDC
 * known to @x402/evm; null when there is neither (payments cannot be taken there).
 */
export function paymentAsset(
  network: string,
  overrides: Readonly<Record<string, AssetOverride>> = {},
): AssetOverride | null {
  const override = overrides[network];
  if (override) return { ...override, address: getAddress(override.address) };
  try {
    return defaultUsdc(parseEvmNetwork(network));
  } catch {
    return null;
  }
}

/** The networks with a 6-decimal EIP-3009 USDC that @x402/evm knows (payable without overrides). */
export function usdcNetworks(): Network[] {
  return Object.keys(DEFAULT_ASSETS).filter(
    (network) => paymentAsset(network) !== null,
  ) as Network[];
}

function defaultUsdc(network: Network): AssetOverride {
  // Throws for networks @x402/evm has no USDC for: those need an explicit asset override.
  const usdc = getDefaultAsset(network, 'USDC');
  if (usdc.decimals !== USDC_DECIMALS || usdc.assetTransferMethod !== undefined) {
    throw new RangeError(`The default USDC on ${network} is not a 6-decimal EIP-3009 token`);
  }
  return { address: usdc.asset, name: usdc.name, version: usdc.version };
}
