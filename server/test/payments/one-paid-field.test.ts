import { buildSchema, type ExecutionArgs, type ExecutionResult, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { useOnePaidFieldPerOperation } from '../../src/payments/one-paid-field.ts';

const schema = buildSchema(`
  type Query { ok: Boolean }
  input RunInput { payment: String }
  type Mutation { executeTemplate(input: RunInput): String }
`);

/** The result the plugin answers `source` with before execution, or null if it lets it run. */
function refusal(source: string, variableValues: Record<string, unknown> = {}) {
  let result: ExecutionResult | null = null;
  useOnePaidFieldPerOperation().onExecute?.({
    args: { schema, document: parse(source), variableValues, contextValue: {} } as ExecutionArgs,
    setResultAndStopExecution: (refused: ExecutionResult) => {
      result = refused;
    },
  } as never);
  return result;
}

describe('one paid field per operation, as execution collects the root fields', () => {
  const paid = '{ payment: "signed" }';

  it('refuses two runs with a payment, through fragments', () => {
    expect(
      refusal(`mutation { a: executeTemplate(input: ${paid}) ...B }
        fragment B on Mutation { b: executeTemplate(input: {}) }`),
    ).not.toBeNull();
  });

  it('lets through a run that @skip or @include leaves out', () => {
    expect(
      refusal(
        `mutation($two: Boolean!) {
        a: executeTemplate(input: ${paid})
        b: executeTemplate(input: {}) @include(if: $two)
        c: executeTemplate(input: {}) @skip(if: true)
      }`,
        { two: false },
      ),
    ).toBeNull();
    expect(
      refusal(
        `mutation($two: Boolean!) {
        a: executeTemplate(input: ${paid})
        b: executeTemplate(input: {}) @include(if: $two)
      }`,
        { two: true },
      ),
    ).not.toBeNull();
  });

  it('counts fields merged under one response key as the one run they are', () => {
    expect(
      refusal(`mutation { a: executeTemplate(input: ${paid}) a: executeTemplate(input: ${paid}) }`),
    ).toBeNull();
  });
});
