import type {
  ExecutionEvents,
  ExecutionLoggedEvent,
} from '../../src/executions/execution-events.ts';

/** Counts pub/sub subscriptions, and those not yet ended or returned (listeners still held). */
export function tracked(events: ExecutionEvents) {
  const counter = { started: 0, open: 0 };
  return Object.assign(counter, {
    description: events.description,
    publish: events.publish,
    check: events.check,
    close: events.close,
    subscribe(
      templateId: string,
      options?: Parameters<ExecutionEvents['subscribe']>[1],
    ): AsyncIterableIterator<ExecutionLoggedEvent> {
      counter.started++;
      counter.open++;
      const source = events.subscribe(templateId, options);
      let open = true;
      const closed = <T>(result: T) => {
        if (open) counter.open--;
        open = false;
        return result;
      };
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        next: () =>
          source.next().then(
            (result) => (result.done ? closed(result) : result),
            (error) => closed(Promise.reject(error)),
          ),
        return: (value?: unknown) =>
          closed(source.return?.(value) ?? Promise.resolve({ value, done: true as const })),
      };
    },
  });
}
