import { formatExact, formatRelative } from '../lib/relativeTime.ts';
import { useNow } from '../lib/useNow.ts';

/** "2 minutes ago", with the exact time on hover. */
export function RelativeTime({ iso }: { iso: string }) {
  const now = useNow();
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={formatExact(date)}>
      {formatRelative(date, now)}
    </time>
  );
}
