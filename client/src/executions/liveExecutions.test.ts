import { describe, expect, it } from 'vitest';
import { execution, executionsConnection } from '../test/factories.ts';
import { prependExecution } from './liveExecutions.ts';

describe('prependExecution', () => {
  const data = { myExecutions: executionsConnection([execution('E2'), execution('E1')], 7) };
  const byId = (node: { id: string }) => node.id;

  it('puts a new run first and counts it', () => {
    const next = prependExecution(data.myExecutions, execution('E3'), byId);
    expect(next.edges.map((edge) => edge.node.id)).toEqual(['E3', 'E2', 'E1']);
    expect(next.totalCount).toBe(8);
    expect(next.pageInfo).toBe(data.myExecutions.pageInfo);
  });

  it('ignores a run already in the list', () => {
    expect(prependExecution(data.myExecutions, execution('E1'), byId)).toBe(data.myExecutions);
  });

  it('leaves a query without the list alone', () => {
    const empty = { myExecutions: null };
    expect(prependExecution(empty.myExecutions, execution('E3'), byId)).toBe(empty.myExecutions);
  });
});
