import { FixedBuffer } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { startedRepeater } from '../../src/lib/started-repeater.ts';

describe('startedRepeater', () => {
  it('runs its executor at once, and queues what is pushed before the first read', async () => {
    let push: (value: number) => unknown = () => {};
    const values = startedRepeater<number>((pushValue) => {
      push = pushValue;
    }, new FixedBuffer(2));
    push(1);
    push(2);
    expect(await values.next()).toEqual({ value: 1, done: false });
    expect(await values.next()).toEqual({ value: 2, done: false });
    await values.return?.();
  });

  it('runs the stop handlers of a return() before the first read', async () => {
    let stopped = false;
    const values = startedRepeater<number>((_push, stop) => {
      stop.then(() => {
        stopped = true;
      });
    }, new FixedBuffer(1));
    await values.return?.();
    expect(stopped).toBe(true);
  });

  it('ends quietly on return(), even with an unread error', async () => {
    const values = startedRepeater<number>((push, stop) => {
      void push(1);
      stop(new Error('overflowed'));
    }, new FixedBuffer(1));
    expect(await values.return?.()).toEqual({ value: undefined, done: true });
    expect(await values.next()).toEqual({ value: undefined, done: true });
  });

  it('gives what was queued, then the error once, then is done', async () => {
    const values = startedRepeater<number>((push, stop) => {
      void push(1);
      stop(new Error('overflowed'));
    }, new FixedBuffer(1));
    expect(await values.next()).toEqual({ value: 1, done: false });
    await expect(values.next()).rejects.toThrow('overflowed');
    expect(await values.next()).toEqual({ value: undefined, done: true });
  });
});
