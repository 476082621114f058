import type { BrowserContext } from 'playwright-core';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';

type Answer = { result: unknown } | { error: { code: number; message: string } };

export interface TestWallet {
  address: Hex;
  /** Every request the page made, in order. */
  calls: Array<{ method: string; params: unknown[] }>;
  /** The chain the wallet is on now. */
  chainId(): number;
  /** Makes the next request of `method` fail as a user's "Reject" does (EIP-1193 4001). */
  rejectNext(method: string): void;
}

const REJECTED = { code: 4001, message: 'User rejected the request.' };

/**
 * Injects a minimal EIP-1193 wallet as window.ethereum in every page of `context`. The page side
 * is only a relay (addInitScript); the wallet lives here in Node (exposeFunction): a private key
 * that signs with viem, on chain `startChainId`, answering what a wallet extension answers — so
 * the page's real EIP-1193 code path (accounts, chain switch, eth_signTypedData_v4) runs.
 */
export async function installTestWallet(
  context: BrowserContext,
  startChainId = 1,
): Promise<TestWallet> {
  const account = privateKeyToAccount(generatePrivateKey());
  const calls: TestWallet['calls'] = [];
  const rejections = new Set<string>();
  let chainId = startChainId;

  async function answer(method: string, params: unknown[]): Promise<Answer> {
    calls.push({ method, params });
    if (rejections.delete(method)) return { error: REJECTED };
    switch (method) {
      case 'eth_requestAccounts':
      case 'eth_accounts':
        return { result: [account.address] };
      case 'eth_chainId':
        return { result: `0x${chainId.toString(16)}` };
      case 'wallet_switchEthereumChain': {
        const [{ chainId: wanted }] = params as [{ chainId: string }];
        chainId = Number.parseInt(wanted, 16);
        return { result: null };
      }
      case 'eth_signTypedData_v4': {
        const [from, json] = params as [string, string];
        if (from.toLowerCase() !== account.address.toLowerCase()) {
          return { error: { code: 4100, message: `unknown account ${from}` } };
        }
        const { domain, types, primaryType, message } = JSON.parse(json);
        // As MetaMask does: typed data for another chain than the active one is refused.
        if (Number(domain.chainId) !== chainId) {
          return { error: { code: -32602, message: `chainId ${domain.chainId} is not active` } };
        }
        const { EIP712Domain: _, ...messageTypes } = types;
        const signature = await account.signTypedData({
          domain,
          types: messageTypes,
          primaryType,
          message,
        });
        return { result: signature };
      }
      default:
        return { error: { code: 4200, message: `The test wallet does not support ${method}` } };
    }
  }

  await context.exposeFunction('e2eWalletRequest', answer);
  await context.addInitScript(() => {
    const relay = (method: string, params: unknown[]) =>
      (
        (window as unknown as Record<string, unknown>).e2eWalletRequest as (
          method: string,
          params: unknown[],
        ) => Promise<Answer>
      )(method, params);
    (window as unknown as { ethereum: unknown }).ethereum = {
      async request({ method, params }: { method: string; params?: unknown[] }) {
        const answered = await relay(method, params ?? []);
        if ('error' in answered) {
          throw Object.assign(new Error(answered.error.message), { code: answered.error.code });
        }
        return answered.result;
      },
    };
  });

  return {
    address: account.address,
    calls,
    chainId: () => chainId,
    rejectNext: (method) => rejections.add(method),
  };
}
