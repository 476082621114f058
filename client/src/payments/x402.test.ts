import { describe, expect, it } from 'vitest';
import {
  asPaymentRequired,
  atomicToDecimal,
  evmChainId,
  networkName,
  parseTransaction,
} from './x402.ts';

describe('x402 helpers', () => {
  it('converts atomic USDC amounts exactly', () => {
    expect(atomicToDecimal('10000')).toBe('0.01');
    expect(atomicToDecimal('1')).toBe('0.000001');
    expect(atomicToDecimal('2500000')).toBe('2.5');
    expect(atomicToDecimal('123000000000000000001')).toBe('123000000000000.000001');
    expect(atomicToDecimal('0')).toBe('0');
  });

  it('names networks and finds their chain id', () => {
    expect(networkName('eip155:84532')).toBe('Base Sepolia');
    expect(networkName('eip155:999')).toBe('eip155:999');
    expect(evmChainId('eip155:84532')).toBe(84532);
    expect(evmChainId('solana:mainnet')).toBeNull();
  });

  it('tells a simulated settlement from a real transaction', () => {
    const hash = `0x${'12'.repeat(32)}`;
    expect(parseTransaction(`simulated:${hash}`, 'eip155:84532')).toEqual({
      hash,
      simulated: true,
      url: null,
    });
    expect(parseTransaction(hash, 'eip155:84532')).toEqual({
      hash,
      simulated: false,
      url: `https://sepolia.basescan.org/tx/${hash}`,
    });
    expect(parseTransaction(hash, 'eip155:31337').url).toBeNull();
  });

  it('accepts only a PaymentRequired with something to pay', () => {
    const accepts = [
      { scheme: 'exact', network: 'eip155:1', asset: '0x', amount: '1', payTo: '0x' },
    ];
    expect(asPaymentRequired({ x402Version: 2, accepts })).not.toBeNull();
    expect(asPaymentRequired({ x402Version: 2, accepts: [] })).toBeNull();
    expect(asPaymentRequired({ accepts })).toBeNull();
    expect(asPaymentRequired(undefined)).toBeNull();
  });
});
