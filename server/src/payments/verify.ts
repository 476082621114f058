import { x402Version } from '@x402/core';
import { authorizationTypes } from '@x402/evm';
import {
  getAddress,
  type Hex,
  isAddressEqual,
  parseSignature,
  recoverTypedDataAddress,
} from 'viem';
import { type PaymentInvalidReason, paymentInvalidError } from './errors.ts';
import { type ExactEip3009Payload, parseExactEip3009Payload } from './exact-payload.ts';
import type {
  Network,
  PaymentPayload,
  PaymentRequired,
  PaymentRequirements,
  VerifiedPayment,
} from './types.ts';

/**
 * validBefore must leave this much time for the settlement transaction to be mined. It is the
 * margin the official @x402/evm facilitator applies (validBefore >= now + 6), so a payment that
 * passes here is not refused by the facilitator for timing at the same instant.
 */
export const VALID_BEFORE_MARGIN_SECONDS = 6n;

// secp256k1 n / 2. USDC refuses high-s signatures and v other than 27/28 on chain, while the
// facilitator's off-chain check (viem) accepts them: refusing here avoids a doomed settlement.
const SECP256K1_HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/**
 * Checks an exact-scheme EIP-3009 payment against our requirements without any network access.
 * Throws paymentInvalidError with the first failing reason; the facilitator still has the last
 * word (balance, nonce state, smart-wallet signatures).
 */
export async function verifyPaymentLocally(
  payload: PaymentPayload,
  requirements: PaymentRequirements,
  now: Date = new Date(),
  paymentRequired?: PaymentRequired,
): Promise<VerifiedPayment> {
  const fail = (reason: PaymentInvalidReason, detail: string) =>
    paymentInvalidError(reason, paymentRequired, detail);

  const exact = parseExactEip3009Payload(payload.payload);
  if (payload.x402Version !== x402Version || !payload.accepted || !exact) {
    throw fail('malformed', 'not an x402 v2 EIP-3009 payment');
  }
  const { authorization, signature } = exact;
  const accepted = payload.accepted;
  if (accepted.scheme !== 'exact' || requirements.scheme !== 'exact') {
    throw fail('scheme_mismatch', 'only the exact scheme is accepted');
  }
  if (accepted.network !== requirements.network) {
    throw fail('network_mismatch', `payment is for ${accepted.network}`);
  }
  if (!sameAddress(accepted.asset, requirements.asset)) {
    throw fail('asset_mismatch', 'payment is in another token');
  }
  if (!sameAddress(authorization.to, requirements.payTo)) {
    throw fail('payee_mismatch', 'authorization pays another address');
  }
  if (BigInt(authorization.value) !== BigInt(requirements.amount)) {
    throw fail(
      'amount_mismatch',
      `authorized ${authorization.value}, required ${requirements.amount}`,
    );
  }
  const nowSeconds = BigInt(Math.floor(now.getTime() / 1000));
  if (BigInt(authorization.validAfter) > nowSeconds) {
    throw fail('not_yet_valid', 'authorization is not valid yet');
  }
  if (BigInt(authorization.validBefore) < nowSeconds + VALID_BEFORE_MARGIN_SECONDS) {
    throw fail('expired', 'authorization has expired or expires too soon to settle');
  }
  if (!(await isSignedByPayer(exact, requirements))) {
    throw fail('invalid_signature', 'signature does not match the authorization');
  }

  return {
    payer: getAddress(authorization.from),
    nonce: authorization.nonce.toLowerCase() as Hex,
    asset: getAddress(requirements.asset),
    network: requirements.network as Network,
    amount: BigInt(authorization.value).toString(),
    signature: signature.toLowerCase() as Hex,
    // uint256 on chain; a timestamp column holds up to the year 9999, which is "never" enough.
    validBefore: new Date(Math.min(Number(BigInt(authorization.validBefore)), 253402300799) * 1000),
  };
}

/** EOA (ECDSA) signatures only: smart-wallet (ERC-1271/6492) payers need the facilitator. */
async function isSignedByPayer(
  { authorization, signature }: ExactEip3009Payload,
  requirements: PaymentRequirements,
): Promise<boolean> {
  const domain = eip712Domain(requirements);
  if (signature.length !== 2 + 65 * 2) return false;
  try {
    const { s, v } = parseSignature(signature);
    if (BigInt(s) > SECP256K1_HALF_ORDER || (v !== 27n && v !== 28n)) return false;
    const signer = await recoverTypedDataAddress({
      domain,
      types: authorizationTypes,
      primaryType: 'TransferWithAuthorization',
      message: {
        from: getAddress(authorization.from),
        to: getAddress(authorization.to),
        value: BigInt(authorization.value),
        validAfter: BigInt(authorization.validAfter),
        validBefore: BigInt(authorization.validBefore),
        nonce: authorization.nonce,
      },
      signature,
    });
    return isAddressEqual(signer, authorization.from);
  } catch {
    return false;
  }
}

function eip712Domain(requirements: PaymentRequirements) {
  const { name, version } = requirements.extra ?? {};
  if (typeof name !== 'string' || typeof version !== 'string') {
    throw new Error('Payment requirements lack extra.name/extra.version (the EIP-712 domain)');
  }
  return {
    name,
    version,
    chainId: chainIdOf(requirements.network),
    verifyingContract: getAddress(requirements.asset),
  };
}

function chainIdOf(network: string): number {
  const match = /^eip155:(\d+)$/.exec(network);
  const chainId = Number(match?.[1]);
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new Error(`Not an EVM network: ${network}`);
  }
  return chainId;
}

function sameAddress(a: string, b: string): boolean {
  try {
    return isAddressEqual(a as Hex, b as Hex);
  } catch {
    return false;
  }
}
