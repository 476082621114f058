import { Repeater, type RepeaterBuffer } from 'graphql-yoga';

type Executor<T> = ConstructorParameters<typeof Repeater<T>>[0];

const STARTED = Symbol('started');

/**
 * A Repeater (Yoga's async iterator of pushed values) with two differences for subscriptions:
 * - Its executor runs now, not on the first next(): a subscriber hears what is pushed from this
 *   call on (a listener it holds is counted, and released by return(), before it first reads).
 * - return() always ends it quietly, as graphql-js's iterators do. A Repeater's rejects with an
 *   error it was stopped with that nobody has read yet, and callers of return() (graphql-ws, Yoga's
 *   operators) do not catch it: an unhandled rejection.
 */
export function startedRepeater<T>(
  executor: Executor<T>,
  buffer: RepeaterBuffer,
): AsyncIterableIterator<T> {
  const repeater = new Repeater<T | typeof STARTED>((push, stop) => {
    void push(STARTED);
    return executor(push, stop);
  }, buffer);
  // Runs the executor, and reads the marker it pushed first.
  void repeater.next();
  return {
    next: () => repeater.next() as Promise<IteratorResult<T>>,
    return: () =>
      repeater.return().then(
        () => ({ value: undefined, done: true }),
        () => ({ value: undefined, done: true }),
      ),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
