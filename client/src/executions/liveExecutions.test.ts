import { describe, expect, it } from 'vitest';
import { execution, executionsConnection } from '../test/factories.ts';
import { prependExecution } from './liveExecutions.ts';

describe('prependExecution', () => {
  const data = { myExecutions: executionsConnection([execution('E2'), execution('E1')], 7) };

  it('puts a new run first and counts it', () => {
    const next = prependExecution(data, execution('E3'));
    expect(next.myExecutions.edges.map((edge) => edge.node.id)).toEqual(['E3', 'E2', 'E1']);
    expect(next.myExecutions.totalCount).toBe(8);
    expect(next.myExecutions.pageInfo).toBe(data.myExecutions.pageInfo);
  });

  it('ignores a run already in the list', () => {
    expect(prependExecution(data, execution('E1'))).toBe(data);
  });

  it('leaves a query without the list alone', () => {
    const empty = { myExecutions: null };
    expect(prependExecution(empty, execution('E3'))).toBe(empty);
  });
});
