import type { Plugin } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ERROR_CODES } from '../../src/lib/api-errors.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

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
