/**
 * The demo wallet's key, kept in this browser's localStorage so the same address pays every
 * time. Only offered when the server's settlement is simulated: it never holds real money.
 * The address is stored beside the key so the page can show it without loading viem.
 */
export interface StoredDemoWallet {
  address: `0x${string}`;
  privateKey: `0x${string}`;
}

export const DEMO_WALLET_KEY = 'promptmeter.demoWallet';

const isHex = (value: unknown, length: number): value is `0x${string}` =>
  typeof value === 'string' && new RegExp(`^0x[0-9a-fA-F]{${length}}$`).test(value);

export function readDemoWallet(): StoredDemoWallet | null {
  try {
    const stored = JSON.parse(localStorage.getItem(DEMO_WALLET_KEY) ?? 'null');
    if (stored && isHex(stored.address, 40) && isHex(stored.privateKey, 64)) return stored;
  } catch {
    // Unreadable: a new one is made on the next payment.
  }
  return null;
}

export function saveDemoWallet(wallet: StoredDemoWallet) {
  localStorage.setItem(DEMO_WALLET_KEY, JSON.stringify(wallet));
}

export function forgetDemoWallet() {
  localStorage.removeItem(DEMO_WALLET_KEY);
}
