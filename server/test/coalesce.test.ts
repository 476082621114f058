import { describe, expect, it } from 'vitest';
import { createCoalescer } from '../src/schema/coalesce.ts';

describe('coalescing identical reads', () => {
  it('makes one read for concurrent callers of one key, and separate reads for other keys', async () => {
    const read = createCoalescer<string>();
    let reads = 0;
    const slow = (value: string) => () =>
      new Promise<string>((resolve) => {
        reads++;
        setTimeout(() => resolve(value), 20);
      });
    const results = await Promise.all([
      read('run-1:alice', slow('a')),
      read('run-1:alice', slow('never read')),
      read('run-1:bob', slow('b')),
    ]);
    expect(results).toEqual(['a', 'a', 'b']);
    expect(reads).toBe(2);
  });

  it('hands a failure to every waiter of that read', async () => {
    const read = createCoalescer<string>();
    const failing = () => Promise.reject(new Error('pool exhausted'));
    const outcomes = await Promise.allSettled([read('k', failing), read('k', failing)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
  });
});
