import { readFile } from 'node:fs/promises';
import { buildSchema, GraphQLEnumType } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/lib/api-errors.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// The client's ErrorCode type is generated from schema.graphql: it must list ERROR_CODES exactly.
describe('the ErrorCode enum of schema.graphql', () => {
  it('has every code of ERROR_CODES, with its description, and no other', async () => {
    const sdl = await readFile(new URL('../../../schema.graphql', import.meta.url), 'utf8');
    const enumType = buildSchema(sdl).getType('ErrorCode');
    expect(enumType).toBeInstanceOf(GraphQLEnumType);
    const published = (enumType as GraphQLEnumType)
      .getValues()
      .map(({ name, description }) => [name, description]);
    const listed = Object.entries(ERROR_CODES).map(([code, { description }]) => [
      code,
      description,
    ]);
    expect(published.sort()).toEqual(listed.sort());
  });
});

/** Fails with a plain Error when the operation is named `Crash`: Yoga must mask it. */
const crashOnRequest: Plugin = {
  onExecute({ args }) {
    if (args.operationName === 'Crash') throw new Error('a secret detail');
  },
};

// Codes Yoga sends itself are listed in ERROR_CODES too: this proves it still sends them.
describe('the codes graphql-yoga sends', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ plugins: [crashOnRequest] });
  });
  afterAll(() => app?.close());

  async function post(body: string) {
    const response = await app.app.yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return response.json();
  }

  const cases = {
    GRAPHQL_PARSE_FAILED: JSON.stringify({ query: '{ templates {' }),
    GRAPHQL_VALIDATION_FAILED: JSON.stringify({ query: '{ noSuchField }' }),
    BAD_REQUEST: '{not json',
    INTERNAL_SERVER_ERROR: JSON.stringify({
      query: 'query Crash { __typename }',
      operationName: 'Crash',
    }),
  } satisfies Partial<Record<keyof typeof ERROR_CODES, string>>;

  for (const [code, body] of Object.entries(cases)) {
    it(code, async () => {
      const json = await post(body);
      expect(json.errors[0].extensions.code).toBe(code);
      expect(json.errors[0].message).not.toContain('secret');
    });
  }
});
