import { describe, expect, it } from 'vitest';
import { formatCount, formatUsdc, isZeroAmount } from './format.ts';
import { formatRelative } from './relativeTime.ts';

describe('formatUsdc', () => {
  it('drops trailing zeros and calls zero free', () => {
    expect(formatUsdc('0.010000')).toBe('0.01 USDC');
    expect(formatUsdc('12')).toBe('12 USDC');
    expect(formatUsdc('0')).toBe('Free');
    expect(formatUsdc('0.000000')).toBe('Free');
    expect(isZeroAmount('0.000001')).toBe(false);
  });

  it('shows unknown token counts as a dash', () => {
    expect(formatCount(null)).toBe('–');
    expect(formatCount(12345)).toBe('12,345');
  });
});

describe('formatRelative', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');
  const ago = (seconds: number) => new Date(now - seconds * 1000);

  it('reads like a person would say it', () => {
    expect(formatRelative(ago(3), now)).toBe('just now');
    expect(formatRelative(ago(-30), now)).toBe('just now');
    expect(formatRelative(ago(42), now)).toBe('42 seconds ago');
    expect(formatRelative(ago(60), now)).toBe('1 minute ago');
    expect(formatRelative(ago(150), now)).toBe('2 minutes ago');
    expect(formatRelative(ago(3 * 3600), now)).toBe('3 hours ago');
    expect(formatRelative(ago(26 * 3600), now)).toBe('yesterday');
    expect(formatRelative(ago(400 * 24 * 3600), now)).toBe('last year');
  });
});
