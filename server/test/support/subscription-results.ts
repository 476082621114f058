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
  return {
    results,
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
  };
}
