import type { Client } from 'graphql-ws';

export interface GraphQLResponse<Data = Record<string, any>> {
  data?: Data | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }>;
}

/** Collects a subscription's results, so a test can wait for the next one with a deadline. */
export function collect<T = any>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
) {
  const results: GraphQLResponse<T>[] = [];
  const waiters: Array<() => void> = [];
  let error: unknown = null;
  let completed = false;
  const notify = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        results.push(result as GraphQLResponse<T>);
        notify();
      },
      error: (reason) => {
        error = reason;
        notify();
      },
      complete: () => {
        completed = true;
        notify();
      },
    },
  );
  // A run's RUNNING event may or may not come (a run that ends before its stream reads is seen
  // once, final): tests of delivery count the final states.
  const finals = () =>
    results.filter((result) => (result.data as any)?.executionLogged?.status !== 'RUNNING');
  return {
    results,
    /** The results that are not a run's RUNNING state. */
    get finals() {
      return finals();
    },
    get error() {
      return error;
    },
    get completed() {
      return completed;
    },
    unsubscribe,
    /** Resolves when `count` results arrived (or the subscription ended), or after `ms`. */
    async waitFor(count: number, ms = 5000) {
      const deadline = Date.now() + ms;
      while (results.length < count && !error && !completed && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, Math.max(0, deadline - Date.now()));
        });
      }
      return results;
    },
    /** Resolves when `count` final states arrived (or it ended), or after `ms`. */
    async waitForFinals(count: number, ms = 5000) {
      const deadline = Date.now() + ms;
      while (finals().length < count && !error && !completed && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, Math.max(0, deadline - Date.now()));
        });
      }
      return finals();
    },
  };
}
