// Issue 12, "One request takes the server down": each finding replayed over HTTP and WebSocket.
// Before: 1,000 aliases held the server for 102 s; nested executions(first: 3) grew
// exponentially; nodes with 5,000 ids took 5-14 s; a 2,000-level selection or a 20,000-deep
// literal answered HTTP 500. Now each is refused before anything runs, with QUERY_TOO_COMPLEX.
import type { Client } from 'graphql-ws';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPERATION_LIMITS as LIMITS } from '../../src/lib/limits.ts';
import { databaseUrl, stack } from '../support/databases.ts';
import { createTemplate } from '../support/operations.ts';
import { collect, type GraphQLResponse } from '../support/subscription-results.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** GraphQL over HTTP: request errors are HTTP 400 for a client that accepts this type. */
const GRAPHQL_RESPONSE = { accept: 'application/graphql-response+json' };

const EXECUTION_FIELDS = 'id status errorMessage inputTokens outputTokens amountPaid createdAt';

/** The request: 1,000 aliases of templates(first: 100) with executions(first: 100). */
const ALIAS_BOMB = `query {${Array.from(
  { length: 1000 },
  (_, i) =>
    ` a${i}: templates(first: 100) { edges { node { id name executions(first: 100) { edges { node { ${EXECUTION_FIELDS} } } } } } }`,
).join('')} }`;

/** `levels` of template → executions(first: 3) → template → …, about 1 KB at 8 levels. */
function nestedExecutions(levels: number) {
  let selection = 'id';
  for (let level = 0; level < levels; level++) {
    selection = `executions(first: 3) { edges { node { id template { id ${selection} } } } }`;
  }
  return `query($id: ID!) { template(id: $id) { id ${selection} } }`;
}

describe('operation limits (issue 12)', () => {
  let app: TestApp;
  let token: string;
  let templateId: string;
  beforeAll(async () => {
    app = await startTestApp();
    token = await app.token('limits-owner');
    templateId = await createTemplate(app, token);
  });
  afterAll(() => app?.close());

  const ask = (
    query: string,
    variables: Record<string, unknown> = {},
    options: { token?: string; network?: boolean } = {},
  ) => app.gql(query, variables, { ...options, headers: GRAPHQL_RESPONSE });

  function expectRefused(result: GraphQLResponse & { status?: number }, limit: string) {
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit,
      max: expect.any(Number),
    });
    expect(result.data ?? null).toBeNull();
    if (result.status !== undefined) expect(result.status).toBe(400);
  }

  it('refuses the 1,000-alias request at once, signed in or not, and a normal request meanwhile is answered', async () => {
    expect(ALIAS_BOMB.length).toBeGreaterThan(130_000);
    for (const who of [token, undefined]) {
      const [bomb, normal] = await Promise.all([
        ask(ALIAS_BOMB, {}, { token: who, network: true }),
        ask('query { templates(first: 5) { edges { node { id } } } }', {}, { network: true }),
      ]);
      expectRefused(bomb, 'tokens');
      expect(normal.data?.templates.edges.length).toBeGreaterThan(0);
      // Before: 102 s signed in, 12-32 s anonymous. The figure (target < 50 ms) is printed, not
      // asserted (timing belongs to benchmarks); the bound only proves no work is waited for.
      const medianMs = async (network: boolean) => {
        const times: number[] = [];
        for (let i = 0; i < 9; i++) {
          const began = performance.now();
          expectRefused(await ask(ALIAS_BOMB, {}, { token: who, network }), 'tokens');
          times.push(performance.now() - began);
        }
        return times.sort((a, b) => a - b)[4] as number;
      };
      const overHttp = await medianMs(true);
      const inYoga = await medianMs(false);
      console.log(
        `[limits] 1,000-alias request (${who ? 'signed in' : 'anonymous'}, 139 KB) refused in ${overHttp.toFixed(1)} ms over loopback HTTP, ${inYoga.toFixed(1)} ms in yoga.fetch (medians of 9)`,
      );
      expect(overHttp).toBeLessThan(2000);
    }
  });

  it('refuses nested executions(first: 3), 8 levels deep (a 1 KB query)', async () => {
    const eight = nestedExecutions(8);
    expect(eight.length).toBeLessThan(1100);
    expectRefused(await ask(eight, { id: templateId }, { token }), 'depth');
    // Two levels are a legitimate owner's view: answered.
    const two = await ask(nestedExecutions(2), { id: templateId }, { token });
    expect(two.errors).toBeUndefined();
    expect(two.data?.template.id).toBe(templateId);
  });

  it('counts a connection page as a multiplier, from a literal or a variable', async () => {
    const query = `query($first: Int, $inner: Int) { templates(first: $first) { edges { node { id executions(first: $inner) { edges { node { ${EXECUTION_FIELDS} } } } } } } }`;
    expectRefused(await ask(query, { first: 100, inner: 100 }, { token }), 'cost');
    // The schema's default page (20) counts when the variable is absent.
    expectRefused(await ask(query, { first: 100 }, { token }), 'cost');
    // A variable's own default counts when it is left out.
    const defaulted = `query($first: Int = 100, $inner: Int = 100) { templates(first: $first) { edges { node { id executions(first: $inner) { edges { node { id } } } } } } }`;
    expectRefused(await ask(defaulted, {}, { token }), 'cost');
    const small = await ask(query, { first: 10, inner: 10 }, { token });
    expect(small.errors).toBeUndefined();
    const literal = `query { templates(first: 100) { edges { node { executions(first: 100) { edges { node { id } } } } } } }`;
    const result = await ask(literal, {}, { token });
    expectRefused(result, 'cost');
    expect(result.errors?.[0]?.message).toMatch(/cost limit of 5000 exceeded, found \d+/i);
  });

  it('limits nodes(ids) to 100 ids, passed as a variable or inline', async () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `VGVtcGxhdGU6${i}`);
    const byVariable = await ask(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids });
    expectRefused(byVariable, 'nodes');
    expect(byVariable.errors?.[0]?.message).toContain('5000');
    // Inline, 5,000 ids are over the token limit first.
    const inline = await ask(`query { nodes(ids: ${JSON.stringify(ids)}) { id } }`);
    expectRefused(inline, 'tokens');
    const defaulted = await ask(
      `query($ids: [ID!]! = ${JSON.stringify(ids.slice(0, 101))}) { nodes(ids: $ids) { id } }`,
    );
    expectRefused(defaulted, 'nodes');
    const hundred = await ask(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
      ids: Array.from({ length: 100 }, () => templateId),
    });
    expect(hundred.errors).toBeUndefined();
    expect(hundred.data?.nodes).toHaveLength(100);
  });

  it('answers a 2,000-level selection and a 20,000-deep literal with 400, not 500', async () => {
    const selection = `query { viewer { ${'... on User { '.repeat(2000)}id${' }'.repeat(2000)} } }`;
    expectRefused(await ask(selection, {}, { network: true }), 'nesting');
    const literal = `query { template(id: ${'['.repeat(20_000)}"x"${']'.repeat(20_000)}) { id } }`;
    expectRefused(await ask(literal, {}, { network: true }), 'nesting');
    // As a JSON variable: the body is written by hand (JSON.stringify would overflow here).
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: `{"query": "mutation($v: JSON) { executeTemplate(input: { templateId: \\"${templateId}\\", variables: $v }) { output } }", "variables": {"v": ${'['.repeat(20_000)}"x"${']'.repeat(20_000)}}}`,
    });
    expect(response.status).toBeLessThan(500);
    const asVariable = (await response.json()) as GraphQLResponse;
    expect(asVariable.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('limits depth, aliases and directives, each under the token limit', async () => {
    // Depth 14: template → (executions → edges → node → template) × 3 → id.
    const deep = await ask(nestedExecutions(3), { id: templateId }, { token });
    expectRefused(deep, 'depth');
    expect(deep.errors?.[0]?.message).toMatch(/depth limit of 12 exceeded, found 14/);
    const aliases = `query { ${Array.from({ length: 31 }, (_, i) => `v${i}: viewer { id }`).join(' ')} }`;
    expectRefused(await ask(aliases, {}, { token }), 'aliases');
    const directives = `query { viewer { ${Array.from({ length: 21 }, () => 'id @include(if: true)').join(' ')} } }`;
    expectRefused(await ask(directives, {}, { token }), 'directives');
    const tokens = `query { viewer { ${'id '.repeat(LIMITS.maxTokens)}} }`;
    expectRefused(await ask(tokens, {}, { token }), 'tokens');
  });

  describe('over WebSocket', () => {
    let client: Client;
    beforeAll(() => {
      client = app.ws(token);
    });

    async function once(query: string, variables: Record<string, unknown> = {}) {
      const results = collect(client, query, variables);
      await results.waitFor(1);
      return { result: results.results[0], error: results.error as unknown };
    }

    it('refuses the same operations with the same codes, and the socket stays open', async () => {
      let closed: number | null = null;
      client.on('closed', (event) => {
        closed = (event as CloseEvent).code;
      });
      // Keeps the lazy client's socket open throughout.
      const live = collect(
        client,
        `subscription($id: ID!) { executionLogged(templateId: $id) { id } }`,
        { id: templateId },
      );
      const bomb = await once(ALIAS_BOMB);
      expect((bomb.error as Array<{ extensions: object }>)[0]?.extensions).toMatchObject({
        code: 'QUERY_TOO_COMPLEX',
        limit: 'tokens',
      });
      const cost = await once(
        `subscription($id: ID!) { executionLogged(templateId: $id) { template { executions(first: 100) { edges { node { template { executions(first: 100) { edges { node { id } } } } } } } } } }`,
        { id: templateId },
      );
      expect(cost.result?.errors?.[0]?.extensions).toMatchObject({
        code: 'QUERY_TOO_COMPLEX',
        limit: 'cost',
      });
      const nodes = await once(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
        ids: Array.from({ length: 101 }, () => templateId),
      });
      expect(nodes.result?.errors?.[0]?.extensions).toMatchObject({ limit: 'nodes' });
      const literal = await once(
        `query { template(id: ${'['.repeat(20_000)}"x"${']'.repeat(20_000)}) { id } }`,
      );
      expect((literal.error as Array<{ extensions: object }>)[0]?.extensions).toMatchObject({
        code: 'QUERY_TOO_COMPLEX',
        limit: 'nesting',
      });
      const fine = await once(`query { viewer { id } }`);
      expect(fine.result?.data?.viewer).toBeTruthy();
      expect(closed).toBeNull();
      expect(live.error).toBeNull();
      live.unsubscribe();
    });
  });
});

// Holding a lock on templates from another connection makes a request wait as long as we like:
// PostgreSQL only (PGlite is one connection, and has no statement timer).
describe.skipIf(!stack.postgres)('time limits (PostgreSQL)', () => {
  async function whileTemplatesLocked<T>(app: TestApp, work: () => Promise<T>): Promise<T> {
    const lock = new pg.Client({
      connectionString: databaseUrl(process.env.TEST_DATABASE_URL as string, app.database.name),
    });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE templates IN ACCESS EXCLUSIVE MODE');
      return await work();
    } finally {
      await lock.query('ROLLBACK').catch(() => {});
      await lock.end();
    }
  }

  const TEMPLATES = 'query { templates(first: 5) { edges { node { id } } } }';

  it("stops a request's statement at the request role's statement_timeout: OPERATION_TIMEOUT", async () => {
    const app = await startTestApp({
      limits: { statementTimeoutMs: 500, operationTimeoutMs: 60_000 },
    });
    try {
      const began = performance.now();
      const result = await whileTemplatesLocked(app, () => app.gql(TEMPLATES));
      const tookMs = performance.now() - began;
      expect(result.errors?.[0]?.extensions?.code).toBe('OPERATION_TIMEOUT');
      expect(result.errors?.[0]?.message).toMatch(/database statement/);
      expect(tookMs).toBeGreaterThanOrEqual(450);
      expect(tookMs).toBeLessThan(5000);
      // The connection went back to the pool clean: the next request is answered.
      expect((await app.gql(TEMPLATES)).errors).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('answers a query past the operation time limit with OPERATION_TIMEOUT', async () => {
    const app = await startTestApp({
      limits: { statementTimeoutMs: 3000, operationTimeoutMs: 300 },
    });
    try {
      const began = performance.now();
      const result = await whileTemplatesLocked(app, () => app.gql(TEMPLATES));
      const tookMs = performance.now() - began;
      expect(result.errors?.[0]?.extensions?.code).toBe('OPERATION_TIMEOUT');
      expect(result.errors?.[0]?.message).toMatch(/longer than 300 ms/);
      expect(tookMs).toBeLessThan(2500);
    } finally {
      await app.close();
    }
  });
});
