import { collect } from './subscription-results.ts';
import type { TestApp } from './test-app.ts';

/** executionLogged with `after`, as a resuming client writes it. */
export const RESUMABLE = /* GraphQL */ `
  subscription Resumable($templateId: ID!, $after: String) {
    executionLogged(templateId: $templateId, after: $after) { id status logPosition }
  }
`;

export type LoggedEvent = { id: string; status: string; logPosition: string };

export const dbIdOf = (globalId: string) =>
  Buffer.from(globalId, 'base64').toString().split(':')[1] as string;

/**
 * A client that follows a template's live history the way a resuming client does: it subscribes
 * from its last position, drops the subscription after a random while, and subscribes again
 * (on one of `apps`, at random) until stopped. Counts each run's final states by database id.
 */
export function resumingFollower(
  apps: TestApp[],
  token: string,
  templateId: string,
  start: string | null,
  stayMs: [number, number] = [100, 400],
) {
  const finals = new Map<string, number>();
  const errors: unknown[] = [];
  let last = start;
  let running = true;
  let streams = 0;
  let disconnects = 0;
  /**
   * graphql-ws reports GraphQL errors as an array, transport failures (a reset connection, a
   * close) as an event: the first are the server refusing, the second a disconnect, after which
   * a resuming client resumes — as this one does anyway.
   */
  const failed = (error: unknown) => {
    if (Array.isArray(error)) errors.push(error);
    else disconnects++;
  };
  const record = (
    results: { data?: { executionLogged: LoggedEvent } | null; errors?: unknown }[],
  ) => {
    for (const result of results) {
      const event = result.data?.executionLogged;
      if (!event) {
        errors.push(result.errors);
        continue;
      }
      last = event.logPosition;
      if (event.status !== 'RUNNING') {
        const id = dbIdOf(event.id);
        finals.set(id, (finals.get(id) ?? 0) + 1);
      }
    }
  };
  const pick = () => apps[Math.floor(Math.random() * apps.length)] as TestApp;
  const done = (async () => {
    while (running) {
      streams++;
      const stream = collect<{ executionLogged: LoggedEvent }>(pick().ws(token), RESUMABLE, {
        templateId,
        after: last,
      });
      const [min, max] = stayMs;
      await new Promise((resolve) => setTimeout(resolve, min + Math.random() * (max - min)));
      stream.unsubscribe();
      if (stream.error) failed(stream.error);
      record(stream.results);
    }
  })();
  return {
    token,
    finals,
    errors,
    get streams() {
      return streams;
    },
    /** Streams that ended with the connection (not a GraphQL error). */
    get disconnects() {
      return disconnects;
    },
    /** Stops dropping and resuming. */
    async stop() {
      running = false;
      await done;
    },
    /** Resumes once more and stays until `expected` runs are in (or a deadline). */
    async settle(expected: number, ms = 15_000) {
      const stream = collect<{ executionLogged: LoggedEvent }>(pick().ws(token), RESUMABLE, {
        templateId,
        after: last,
      });
      // With nothing to wait for, give anything it should not get the time to show up.
      if (expected === 0) await new Promise((resolve) => setTimeout(resolve, 500));
      else await stream.waitForFinals(expected - finals.size, ms);
      stream.unsubscribe();
      if (stream.error) failed(stream.error);
      record(stream.results);
    },
  };
}
