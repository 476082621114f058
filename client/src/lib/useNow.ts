import { useSyncExternalStore } from 'react';

/** A clock shared by every component that reads it, ticking while any of them is mounted. */
function sharedClock(tickMs: number) {
  const listeners = new Set<() => void>();
  let now = Date.now();
  let timer: ReturnType<typeof setInterval> | undefined;

  function subscribe(listener: () => void) {
    listeners.add(listener);
    if (!timer) {
      now = Date.now();
      timer = setInterval(() => {
        now = Date.now();
        for (const notify of listeners) notify();
      }, tickMs);
    }
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    };
  }

  return (): number =>
    useSyncExternalStore(
      subscribe,
      () => now,
      () => now,
    );
}

/** For relative times ("2 minutes ago"): every 15 s is plenty. */
export const useNow = sharedClock(15_000);
/** For a running run's elapsed time, which counts seconds. */
export const useNowEachSecond = sharedClock(1000);
