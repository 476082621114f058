import {
  type Address,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PrivateKeyAccount,
  parseEther,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { compileContracts } from './compile.ts';
import { startHardhatNode } from './hardhat-node.ts';

/** Where @x402/evm's facilitator looks for Multicall3 on every chain. */
const MULTICALL3_ADDRESS = '0xcA11bde05977b3631167028862bE2a173976CA11';
const CHAIN_ID = 31337;
const TOKEN = { name: 'USD Coin', version: '2' } as const;
/** Automine makes every receipt available at once: no need for viem's 4 s default. */
export const POLLING_INTERVAL_MS = 20;

/**
 * Hardhat reports a revert as JSON-RPC -32603 (internal error), which viem retries three times
 * with backoff (~1 s); real nodes answer code 3, which viem does not retry.
 */
export function localTransport(rpcUrl: string) {
  return http(rpcUrl, { retryCount: 0 });
}

export interface LocalChainOptions {
  /** Atomic units (6 decimals) minted to the payer; default 100 USDC. */
  payerBalance?: bigint;
}

export interface LocalChain {
  rpcUrl: string;
  chainId: number;
  network: `eip155:${number}`;
  chain: Chain;
  token: { address: Address; name: string; version: string };
  /** Signs payments; holds USDC and no ETH, like a real x402 buyer. */
  payer: PrivateKeyAccount;
  payee: Address;
  /** Holds ETH for gas; the facilitator server submits settlements with it. */
  facilitatorAccount: PrivateKeyAccount;
  balanceOf(address: Address): Promise<bigint>;
  authorizationUsed(authorizer: Address, nonce: Hex): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startLocalChain(options: LocalChainOptions = {}): Promise<LocalChain> {
  const { UsdcEip3009, Multicall3TryAggregate } = compileContracts();
  const deployerKey = generatePrivateKey();
  const facilitatorKey = generatePrivateKey();
  const deployer = privateKeyToAccount(deployerKey);
  const facilitatorAccount = privateKeyToAccount(facilitatorKey);
  const payer = privateKeyToAccount(generatePrivateKey());
  const payee = privateKeyToAccount(generatePrivateKey()).address;

  const node = await startHardhatNode({
    chainId: CHAIN_ID,
    accounts: [deployerKey, facilitatorKey].map((privateKey) => ({
      privateKey,
      balance: parseEther('1000'),
    })),
  });
  try {
    const chain = defineChain({
      id: CHAIN_ID,
      name: 'promptmeter-local',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [node.rpcUrl] } },
    });
    const transport = localTransport(node.rpcUrl);
    const publicClient = createPublicClient({
      chain,
      transport,
      pollingInterval: POLLING_INTERVAL_MS,
    });
    const wallet = createWalletClient({
      account: deployer,
      chain,
      transport,
      pollingInterval: POLLING_INTERVAL_MS,
    });

    const deployHash = await wallet.deployContract({
      abi: UsdcEip3009.abi,
      bytecode: UsdcEip3009.bytecode,
      args: [TOKEN.name, TOKEN.version],
    });
    const { contractAddress } = await publicClient.waitForTransactionReceipt({ hash: deployHash });
    if (!contractAddress) throw new Error('USDC deployment produced no contract');
    const token = { address: contractAddress, ...TOKEN };

    const mintHash = await wallet.writeContract({
      address: token.address,
      abi: UsdcEip3009.abi,
      functionName: 'mint',
      args: [payer.address, options.payerBalance ?? 100_000_000n],
    });
    await publicClient.waitForTransactionReceipt({ hash: mintHash });
    await createTestClient({ mode: 'hardhat', chain, transport }).setCode({
      address: MULTICALL3_ADDRESS,
      bytecode: Multicall3TryAggregate.deployedBytecode,
    });

    const read = (functionName: string, args: readonly unknown[]) =>
      publicClient.readContract({
        address: token.address,
        abi: UsdcEip3009.abi,
        functionName,
        args,
      });
    return {
      rpcUrl: node.rpcUrl,
      chainId: CHAIN_ID,
      network: `eip155:${CHAIN_ID}`,
      chain,
      token,
      payer,
      payee,
      facilitatorAccount,
      balanceOf: async (address) => (await read('balanceOf', [address])) as bigint,
      authorizationUsed: async (authorizer, nonce) =>
        (await read('authorizationState', [authorizer, nonce])) as boolean,
      stop: () => node.close(),
    };
  } catch (error) {
    await node.close();
    throw error;
  }
}
