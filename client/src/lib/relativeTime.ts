const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const exact = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'medium' });

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** "just now", "2 minutes ago", "yesterday". Future times (clock skew) count as now. */
export function formatRelative(date: Date, now: number): string {
  const seconds = Math.round((now - date.getTime()) / 1000);
  if (seconds < 10) return 'just now';
  for (const [unit, size] of UNITS) {
    if (seconds >= size || unit === 'second') return rtf.format(-Math.floor(seconds / size), unit);
  }
  return 'just now';
}

export const formatExact = (date: Date) => exact.format(date);
