/** Decimal strings from the API ("0", "0.010000"): compared and shown without floating point. */
export const isZeroAmount = (amount: string) => /^0*(\.0*)?$/.test(amount.trim());

/** "0.01 USDC", trailing zeros dropped; zero is "Free". */
export function formatUsdc(amount: string): string {
  if (isZeroAmount(amount)) return 'Free';
  const [whole = '0', fraction = ''] = amount.trim().split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${whole}${trimmed ? `.${trimmed}` : ''} USDC`;
}

export const formatCount = (value: number | null) =>
  value === null ? '–' : new Intl.NumberFormat('en').format(value);
