import { z } from '@x402/core/schemas';
import type { ExactEIP3009Payload } from '@x402/evm';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const uint256 = z.string().regex(/^(0|[1-9]\d{0,77})$/);
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const hexBytes = z.string().regex(/^0x(?:[0-9a-fA-F]{2})+$/);

const exactEip3009PayloadSchema = z.object({
  authorization: z.object({
    from: address,
    to: address,
    value: uint256,
    validAfter: uint256,
    validBefore: uint256,
    nonce: bytes32,
  }),
  signature: hexBytes,
});

/** The `payload` of an exact-scheme EVM payment made with EIP-3009, signature included. */
export type ExactEip3009Payload = Required<ExactEIP3009Payload>;

export function parseExactEip3009Payload(value: unknown): ExactEip3009Payload | undefined {
  const parsed = exactEip3009PayloadSchema.safeParse(value);
  return parsed.success ? (parsed.data as ExactEip3009Payload) : undefined;
}
