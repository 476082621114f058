import { formatElapsed } from '../lib/relativeTime.ts';
import { useNowEachSecond } from '../lib/useNow.ts';

/**
 * How long since `iso`, ticking each second ("3 s", "1 min 12 s"). Deliberately not a live
 * region: a screen reader reads it when it gets there, not on every tick.
 */
export function Elapsed({ since }: { since: string }) {
  const now = useNowEachSecond();
  return <>{formatElapsed(now - Date.parse(since))}</>;
}
