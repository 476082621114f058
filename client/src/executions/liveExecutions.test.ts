import { describe, expect, it } from 'vitest';
import { execution, executionsConnection } from '../test/factories.ts';
import { insertExecution } from './liveExecutions.ts';

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

describe('insertExecution', () => {
  const data = {
    myExecutions: executionsConnection(
      [
        execution('E2', { createdAt: minutesAgo(2) }),
        execution('E1', { createdAt: minutesAgo(5) }),
      ],
      7,
    ),
  };
  const read = (node: ReturnType<typeof execution>, field: 'id' | 'createdAt') => node[field];
  const ids = (connection: typeof data.myExecutions) =>
    connection.edges.map((edge) => edge.node.id);

  it('puts a new run first and counts it', () => {
    const next = insertExecution(data.myExecutions, execution('E3'), read);
    expect(ids(next)).toEqual(['E3', 'E2', 'E1']);
    expect(next.totalCount).toBe(8);
    expect(next.pageInfo).toBe(data.myExecutions.pageInfo);
  });

  it('ignores a run already in the list, whatever its state now', () => {
    const ended = execution('E1', { status: 'FAILED', createdAt: minutesAgo(5) });
    expect(insertExecution(data.myExecutions, ended, read)).toBe(data.myExecutions);
  });

  it('puts a run that started before the newest one below it', () => {
    const next = insertExecution(
      data.myExecutions,
      execution('E9', { createdAt: minutesAgo(3) }),
      read,
    );
    expect(ids(next)).toEqual(['E2', 'E9', 'E1']);
    expect(next.totalCount).toBe(8);
  });

  it('leaves a run older than every loaded one to the pages not loaded yet', () => {
    const old = execution('E0', { createdAt: minutesAgo(60) });
    expect(insertExecution(data.myExecutions, old, read)).toBe(data.myExecutions);

    const whole = executionsConnection([execution('E1', { createdAt: minutesAgo(5) })]);
    const next = insertExecution(whole, old, read);
    expect(ids(next)).toEqual(['E1', 'E0']);
    expect(next.totalCount).toBe(2);
  });

  it('leaves a query without the list alone', () => {
    const empty = { myExecutions: null };
    expect(insertExecution(empty.myExecutions, execution('E3'), read)).toBe(empty.myExecutions);
  });
});
