import { createPublicClient, getAddress, type Hex, http, parseAbi, parseAbiItem } from 'viem';

/** What the token contract itself says about an EIP-3009 authorization. */
export interface AuthorizationState {
  used: boolean;
  /** The transaction that used it, when found in the recent blocks. */
  transaction: string | null;
}

/** Reads payment tokens on one EVM network over JSON-RPC (X402_RPC_URL), for reconciliation. */
export interface ChainReader {
  /** CAIP-2, e.g. "eip155:8453": the network the RPC endpoint serves. */
  network(): Promise<string>;
  authorizationState(asset: string, payer: string, nonce: string): Promise<AuthorizationState>;
}

const EIP3009 = parseAbi([
  'function authorizationState(address authorizer, bytes32 nonce) view returns (bool)',
]);
const AUTHORIZATION_USED = parseAbiItem(
  'event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce)',
);
/** How far back the transaction that used an authorization is looked for (about a day on Base). */
const LOOKBACK_BLOCKS = 50_000n;

export function createChainReader(rpcUrl: string): ChainReader {
  const client = createPublicClient({
    transport: http(rpcUrl, { retryCount: 1, timeout: 10_000 }),
  });
  let chainId: Promise<number> | null = null;
  return {
    async network() {
      // Kept once known; a failed lookup (the RPC down) is asked again next time, not kept.
      chainId ??= client.getChainId().catch((error) => {
        chainId = null;
        throw error;
      });
      return `eip155:${await chainId}`;
    },
    async authorizationState(asset, payer, nonce) {
      const address = getAddress(asset);
      const authorizer = getAddress(payer);
      const used = await client.readContract({
        address,
        abi: EIP3009,
        functionName: 'authorizationState',
        args: [authorizer, nonce as Hex],
      });
      if (!used) return { used, transaction: null };
      const latest = await client.getBlockNumber();
      const [log] = await client.getLogs({
        address,
        event: AUTHORIZATION_USED,
        args: { authorizer, nonce: nonce as Hex },
        fromBlock: latest > LOOKBACK_BLOCKS ? latest - LOOKBACK_BLOCKS : 0n,
        toBlock: latest,
      });
      return { used, transaction: log?.transactionHash ?? null };
    },
  };
}
