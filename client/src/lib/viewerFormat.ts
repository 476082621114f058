/**
 * Numbers, amounts and times as the viewer reads them: their browser's language and time zone.
 * (Most of the app writes English on purpose; the owner's analytics follow the viewer.)
 */

/** The browser's preferred language: what `Intl` would pick on its own, said explicitly. */
export function viewerLocale(): string {
  return navigator.languages?.[0] ?? navigator.language ?? 'en';
}

/** The viewer's IANA time zone: the analytics API buckets by it. */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export interface ViewerFormat {
  locale: string;
  timeZone: string;
  count(value: number): string;
  /** A ratio (0.5) as a percentage; null (nothing to divide) as a dash. */
  percent(value: number | null): string;
  /** An exact decimal USDC string from the API, in the viewer's digits, up to 6 decimals. */
  usdc(amount: string): string;
  /** Milliseconds; null (unknown) as a dash. */
  ms(value: number | null | undefined): string;
  /** A moment as a date and time in the viewer's zone. */
  dateTime(iso: string): string;
}

export function viewerFormat(locale = viewerLocale(), timeZone = viewerTimeZone()): ViewerFormat {
  const count = new Intl.NumberFormat(locale);
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  const usdc = new Intl.NumberFormat(locale, { maximumFractionDigits: 6 });
  const dateTime = new Intl.DateTimeFormat(locale, {
    timeZone,
    dateStyle: 'medium',
    timeStyle: 'medium',
  });
  return {
    locale,
    timeZone,
    count: (value) => count.format(value),
    percent: (value) => (value === null ? '–' : percent.format(value)),
    // Intl formats a decimal string exactly (no detour through a float).
    usdc: (amount) => `${usdc.format(amount as Intl.StringNumericLiteral)} USDC`,
    ms: (value) => (value === null || value === undefined ? '–' : `${count.format(value)} ms`),
    dateTime: (iso) => dateTime.format(new Date(iso)),
  };
}
