/**
 * Coalesces concurrent identical reads: every subscriber of one viewer re-reads an event's row
 * once per instance instead of once per subscription. Each read still runs as that viewer (RLS
 * decides); only subscribers with the same viewer share its result.
 */
export function createCoalescer<T>() {
  const inFlight = new Map<string, Promise<T>>();
  return (key: string, read: () => Promise<T>): Promise<T> => {
    const pending = inFlight.get(key);
    if (pending) return pending;
    const promise = read().finally(() => {
      // Subscribers of one event are woken within the same few ticks; keep the result briefly.
      setTimeout(() => inFlight.delete(key), 1000).unref();
    });
    inFlight.set(key, promise);
    return promise;
  };
}
