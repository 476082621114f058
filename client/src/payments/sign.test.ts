import { authorizationTypes } from '@x402/evm';
import { type Hex, verifyTypedData } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEMO_WALLET_KEY, readDemoWallet } from './demoWallet.ts';
import type { Eip1193Provider } from './eip1193.ts';
import { payWithBrowserWallet, payWithDemoWallet } from './sign.ts';
import { WalletError } from './walletError.ts';
import type { PaymentRequired } from './x402.ts';

// The real signing code (reference x402 client + viem), with the wallet's side played by a
// private key: the payload must carry a signature the token contract would accept.

const USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
const PAY_TO = '0x5c0d1e5bd0000000000000000000000000000001';
const BASE_SEPOLIA = 84532;

const paymentRequired: PaymentRequired = {
  x402Version: 2,
  resource: { url: 'http://localhost/graphql', description: 'a run', mimeType: 'application/json' },
  accepts: [
    {
      scheme: 'exact',
      network: 'eip155:84532',
      asset: USDC,
      amount: '10000',
      payTo: PAY_TO,
      maxTimeoutSeconds: 450,
      extra: { name: 'USDC', version: '2' },
    },
  ],
};

interface Payload {
  x402Version: number;
  accepted: { amount: string; payTo: string };
  payload: {
    signature: Hex;
    authorization: {
      from: Hex;
      to: Hex;
      value: string;
      validAfter: string;
      validBefore: string;
      nonce: Hex;
    };
  };
}

const decode = (payment: string): Payload => JSON.parse(atob(payment));

/** True when `signer` signed the EIP-3009 authorization for the USDC on Base Sepolia. */
function verifies(payload: Payload, signer: Hex) {
  const { authorization, signature } = payload.payload;
  return verifyTypedData({
    address: signer,
    domain: { name: 'USDC', version: '2', chainId: BASE_SEPOLIA, verifyingContract: USDC },
    types: authorizationTypes,
    primaryType: 'TransferWithAuthorization',
    message: {
      ...authorization,
      value: BigInt(authorization.value),
      validAfter: BigInt(authorization.validAfter),
      validBefore: BigInt(authorization.validBefore),
    },
    signature,
  });
}

type Answer = { result: unknown } | { error: { code: number; message: string } };

/** An EIP-1193 wallet backed by a private key, on chain `chainId`, scripted per method. */
function keyWallet(chainId: number, script: Record<string, (params: any) => Answer> = {}) {
  const account = privateKeyToAccount(generatePrivateKey());
  const calls: Array<{ method: string; params: any }> = [];
  let chain = chainId;
  const defaults: Record<string, (params: any) => Answer | Promise<Answer>> = {
    eth_requestAccounts: () => ({ result: [account.address] }),
    eth_chainId: () => ({ result: `0x${chain.toString(16)}` }),
    wallet_switchEthereumChain: ([{ chainId: id }]) => {
      chain = Number.parseInt(id, 16);
      return { result: null };
    },
    eth_signTypedData_v4: async ([from, json]) => {
      const { domain, types, primaryType, message } = JSON.parse(json);
      expect(from.toLowerCase()).toBe(account.address.toLowerCase());
      expect(domain.chainId).toBe(chain);
      const { EIP712Domain: _, ...rest } = types;
      return { result: await account.signTypedData({ domain, types: rest, primaryType, message }) };
    },
  };
  const provider: Eip1193Provider = {
    async request({ method, params }) {
      calls.push({ method, params });
      const answer = await (script[method] ?? defaults[method])?.(params);
      if (!answer) throw Object.assign(new Error(`unsupported ${method}`), { code: 4200 });
      if ('error' in answer) throw Object.assign(new Error(answer.error.message), answer.error);
      return answer.result;
    },
  };
  return { account, provider, calls, chain: () => chain };
}

const rejected = { error: { code: 4001, message: 'User rejected the request.' } };

beforeEach(() => localStorage.clear());

describe('payWithDemoWallet', () => {
  it('creates a key once, keeps it, and signs exactly the price to the payee with it', async () => {
    expect(readDemoWallet()).toBeNull();
    const first = await payWithDemoWallet(paymentRequired);
    const stored = readDemoWallet();
    expect(stored?.address).toBe(first.payer);
    expect(privateKeyToAccount(stored?.privateKey as Hex).address).toBe(first.payer);

    const payload = decode(first.payment);
    expect(payload.x402Version).toBe(2);
    expect(payload.payload.authorization).toMatchObject({
      from: first.payer,
      value: '10000',
      validAfter: '0',
    });
    expect(payload.payload.authorization.to.toLowerCase()).toBe(PAY_TO);
    expect(await verifies(payload, first.payer)).toBe(true);

    const second = await payWithDemoWallet(paymentRequired);
    expect(second.payer).toBe(first.payer);
    expect(decode(second.payment).payload.authorization.nonce).not.toBe(
      payload.payload.authorization.nonce,
    );
    expect(JSON.parse(localStorage.getItem(DEMO_WALLET_KEY) ?? '{}').address).toBe(first.payer);
  });

  it('pays a price above the x402 client default cap of $1 once the payer agreed to it', async () => {
    const pricey = {
      ...paymentRequired,
      accepts: [{ ...(paymentRequired.accepts[0] as object), amount: '2500000' }],
    } as PaymentRequired;
    const { payment } = await payWithDemoWallet(pricey);
    expect(decode(payment).payload.authorization.value).toBe('2500000');
  });
});

describe('payWithBrowserWallet (EIP-1193)', () => {
  it('asks for the account, switches to the chain of the requirement, and signs with the wallet', async () => {
    const wallet = keyWallet(1);
    const { payment, payer } = await payWithBrowserWallet(wallet.provider, paymentRequired);
    expect(payer).toBe(wallet.account.address);
    expect(wallet.chain()).toBe(BASE_SEPOLIA);
    expect(wallet.calls.map((call) => call.method)).toEqual([
      'eth_requestAccounts',
      'eth_chainId',
      'wallet_switchEthereumChain',
      'eth_chainId',
      'eth_signTypedData_v4',
    ]);
    expect(wallet.calls[2]?.params).toEqual([{ chainId: '0x14a34' }]);
    expect(await verifies(decode(payment), wallet.account.address)).toBe(true);
  });

  it('does not ask to switch when the wallet is already on the chain', async () => {
    const wallet = keyWallet(BASE_SEPOLIA);
    await payWithBrowserWallet(wallet.provider, paymentRequired);
    expect(wallet.calls.map((call) => call.method)).not.toContain('wallet_switchEthereumChain');
  });

  it('adds Base Sepolia to a wallet that does not know it, then switches', async () => {
    let known = false;
    const wallet = keyWallet(1, {
      wallet_switchEthereumChain: () =>
        known ? { result: null } : { error: { code: 4902, message: 'Unrecognized chain ID' } },
      wallet_addEthereumChain: () => {
        known = true;
        return { result: null };
      },
    });
    // The scripted switch does not change the chain: the check after it says so.
    await expect(payWithBrowserWallet(wallet.provider, paymentRequired)).rejects.toMatchObject({
      problem: 'wrong_chain',
      chainId: 1,
    });
    const added = wallet.calls.find((call) => call.method === 'wallet_addEthereumChain');
    expect(added?.params[0]).toMatchObject({ chainId: '0x14a34', chainName: 'Base Sepolia' });
  });

  it.each([
    ['the account request is declined', { eth_requestAccounts: () => rejected }, 'rejected'],
    ['the signature is declined', { eth_signTypedData_v4: () => rejected }, 'rejected'],
    ['the chain switch is declined', { wallet_switchEthereumChain: () => rejected }, 'wrong_chain'],
    ['the wallet shares no account', { eth_requestAccounts: () => ({ result: [] }) }, 'no_account'],
  ])('explains why when %s', async (_, script, problem) => {
    const wallet = keyWallet(1, script);
    const failure = await payWithBrowserWallet(wallet.provider, paymentRequired).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WalletError);
    expect((failure as WalletError).problem).toBe(problem);
  });

  it('says there is no wallet when there is none', async () => {
    await expect(payWithBrowserWallet(undefined, paymentRequired)).rejects.toMatchObject({
      problem: 'no_wallet',
    });
  });
});
