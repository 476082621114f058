/**
 * The runs this instance is executing, so a graceful stop can refuse new ones and wait for
 * these to write their rows before the process exits.
 */
export interface RunsInFlight {
  readonly count: number;
  /** Set by drain(): the server is shutting down and takes no new runs. */
  readonly draining: boolean;
  /** Counts `run` until it settles; returns it unchanged. */
  track<T>(run: Promise<T>): Promise<T>;
  /** From now on new runs are refused (readiness answers 503). */
  drain(): void;
  /** True once no run is in flight; false if `timeoutMs` passes first. */
  drained(timeoutMs: number): Promise<boolean>;
}

export function createRunsInFlight(): RunsInFlight {
  let count = 0;
  let draining = false;
  const waiters = new Set<() => void>();

  return {
    get count() {
      return count;
    },
    get draining() {
      return draining;
    },
    async track(run) {
      count++;
      try {
        return await run;
      } finally {
        count--;
        if (count === 0) for (const wake of waiters) wake();
      }
    },
    drain() {
      draining = true;
    },
    drained(timeoutMs) {
      if (count === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const finish = (none: boolean) => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(none);
        };
        const wake = () => finish(true);
        const timer = setTimeout(() => finish(false), timeoutMs);
        waiters.add(wake);
      });
    },
  };
}
