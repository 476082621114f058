/**
 * Signing an x402 payment in the browser. Loaded on demand (`import('./sign.ts')` when someone
 * clicks pay), so viem and the x402 packages stay out of the page's main bundle.
 *
 * The payload is made by the reference x402 client (`@x402/core` + the `exact` EVM client scheme
 * of `@x402/evm`): an EIP-3009 transferWithAuthorization signed with EIP-712, by either
 * - a browser wallet (EIP-1193, e.g. window.ethereum) through viem's wallet client, or
 * - the demo wallet: a private key made in this browser (only offered when settlement is simulated).
 */
import { x402Client, x402HTTPClient } from '@x402/core/client';
import type { PaymentRequired as X402PaymentRequired } from '@x402/core/types';
import type { ClientEvmSigner } from '@x402/evm';
import { registerExactEvmScheme } from '@x402/evm/exact/client';
import { type Chain, createWalletClient, custom, defineChain, type WalletClient } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { readDemoWallet, type StoredDemoWallet, saveDemoWallet } from './demoWallet.ts';
import type { Eip1193Provider } from './eip1193.ts';
import { WalletError } from './walletError.ts';
import { evmChainId, networkName, type PaymentRequired } from './x402.ts';

export interface SignedPayment {
  /** base64 PaymentPayload: ExecuteTemplateInput.payment (or the PAYMENT-SIGNATURE header). */
  payment: string;
  payer: `0x${string}`;
}

/**
 * Chains a wallet may not know yet, offered to it with wallet_addEthereumChain: Base and Base
 * Sepolia (the demo templates' network). Written out rather than imported from `viem/chains`,
 * whose barrel drags Node-only modules into the browser build's resolution.
 */
const ADDABLE_CHAINS: Chain[] = [
  defineChain({
    id: 84532,
    name: 'Base Sepolia',
    nativeCurrency: { name: 'Sepolia Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: ['https://sepolia.base.org'] } },
    blockExplorers: { default: { name: 'Basescan', url: 'https://sepolia.basescan.org' } },
    testnet: true,
  }),
  defineChain({
    id: 8453,
    name: 'Base',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: ['https://mainnet.base.org'] } },
    blockExplorers: { default: { name: 'Basescan', url: 'https://basescan.org' } },
  }),
];

/** EIP-1193 and EIP-1474 error codes. */
const USER_REJECTED = 4001;
const UNRECOGNIZED_CHAIN = 4902;

/**
 * Signs the first payment requirement the server offers with the stock x402 client. Only the
 * requirement shown to the payer is accepted, for exactly the amount shown: the x402 client's
 * default $1 cap is replaced by the price the payer agreed to by clicking pay.
 */
async function signWith(
  signer: ClientEvmSigner,
  paymentRequired: PaymentRequired,
): Promise<SignedPayment> {
  const shown = paymentRequired.accepts[0];
  if (shown?.scheme !== 'exact' || evmChainId(shown.network) === null) {
    throw new WalletError('unsupported', 'This payment is not an exact-scheme EVM payment.');
  }
  const client = registerExactEvmScheme(new x402Client(), { signer }).setSpendControls({
    allowedAssets: [
      {
        network: shown.network as `${string}:${string}`,
        asset: shown.asset,
        maxAmountPerPayment: shown.amount,
      },
    ],
  });
  const http = new x402HTTPClient(client);
  const only = { ...paymentRequired, accepts: [shown] } as unknown as X402PaymentRequired;
  const payload = await http.createPaymentPayload(only);
  const payment = http.encodePaymentSignatureHeader(payload)['PAYMENT-SIGNATURE'];
  if (!payment) throw new WalletError('failed', 'The x402 client produced no payment.');
  return { payment, payer: signer.address };
}

/** Pays with the demo wallet, creating it (and keeping it in localStorage) on first use. */
export async function payWithDemoWallet(paymentRequired: PaymentRequired): Promise<SignedPayment> {
  const account = privateKeyToAccount(demoWallet().privateKey);
  return signWith(account, paymentRequired);
}

function demoWallet(): StoredDemoWallet {
  const stored = readDemoWallet();
  if (stored) return stored;
  const privateKey = generatePrivateKey();
  const created = { privateKey, address: privateKeyToAccount(privateKey).address };
  saveDemoWallet(created);
  return created;
}

/**
 * Pays with a browser wallet: asks for its account, makes sure it is on the requirement's chain
 * (switching, or adding a chain it does not know), then has it sign the EIP-712 authorization
 * (eth_signTypedData_v4). Every refusal becomes a WalletError the page explains.
 */
export async function payWithBrowserWallet(
  provider: Eip1193Provider | undefined,
  paymentRequired: PaymentRequired,
): Promise<SignedPayment> {
  if (!provider) throw new WalletError('no_wallet', 'No browser wallet found.');
  const network = paymentRequired.accepts[0]?.network ?? '';
  const chainId = evmChainId(network);
  if (chainId === null) {
    throw new WalletError('unsupported', `Cannot pay on ${network} with an EVM wallet.`);
  }
  const wallet = createWalletClient({ transport: custom(provider) });
  try {
    const [address] = await wallet.requestAddresses();
    if (!address) throw new WalletError('no_account', 'The wallet shared no account.');
    await ensureChain(wallet, chainId, network);
    const signer: ClientEvmSigner = {
      address,
      signTypedData: (typedData) =>
        wallet.signTypedData({ account: address, ...typedData } as Parameters<
          WalletClient['signTypedData']
        >[0]),
    };
    return await signWith(signer, paymentRequired);
  } catch (error) {
    throw asWalletError(error);
  }
}

async function ensureChain(wallet: WalletClient, chainId: number, network: string) {
  const current = await wallet.getChainId();
  if (current === chainId) return;
  try {
    await wallet.switchChain({ id: chainId });
  } catch (error) {
    const chain = ADDABLE_CHAINS.find((known) => known.id === chainId);
    if (rpcCode(error) !== UNRECOGNIZED_CHAIN || !chain) throw wrongChain(error, network, current);
    try {
      await wallet.addChain({ chain });
      await wallet.switchChain({ id: chainId });
    } catch (addError) {
      throw wrongChain(addError, network, current);
    }
  }
  // Some wallets answer the switch before (or without) switching: check.
  const now = await wallet.getChainId();
  if (now !== chainId) throw wrongChain(null, network, now);
}

function wrongChain(cause: unknown, network: string, current: number) {
  const declined = rpcCode(cause) === USER_REJECTED ? ' (the switch was declined)' : '';
  return new WalletError(
    'wrong_chain',
    `The wallet is on chain ${current}, not ${networkName(network)}${declined}.`,
    current,
  );
}

/** The EIP-1193 error code anywhere in viem's chain of causes. */
function rpcCode(error: unknown): number | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function asWalletError(error: unknown): WalletError {
  if (error instanceof WalletError) return error;
  if (rpcCode(error) === USER_REJECTED) {
    return new WalletError('rejected', 'The request was declined in the wallet.');
  }
  const message =
    (error as { shortMessage?: string }).shortMessage ??
    (error instanceof Error ? error.message : String(error));
  return new WalletError('failed', message);
}
