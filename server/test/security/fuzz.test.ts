import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/lib/api-errors.ts';
import { CREATE_TEMPLATE, createTemplate, EXECUTE, MY_EXECUTIONS } from '../support/operations.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { overSocket, rowCounts } from './support.ts';

// Issue 12: a property-based fuzz of the public operations. Whatever the input: no 5xx, no
// INTERNAL_SERVER_ERROR (nor any error without a documented code, nor a leaked stack or SQL
// message), and a refused input writes no row.
let app: TestApp;
let token: string;
let templateId: string;
beforeAll(async () => {
  // Limits off: the fuzz sends far more than any client would.
  app = await startTestApp({
    rateLimits: {
      runsPerUser: 0,
      runsPerIp: 0,
      freeRunsPerTemplate: 0,
      freeRunsPerUserPerDay: 0,
      publicationsPerUser: 0,
      publicationsPerIp: 0,
    },
  });
  token = await app.token('fuzzer');
  templateId = await createTemplate(app, token);
});
afterAll(() => app?.close());

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const CODES = new Set(Object.keys(ERROR_CODES));

/** Any UTF-16 code unit: NUL, lone surrogates and controls included. */
const anyText = (maxLength = 40) =>
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
    maxLength,
  });
const text = (maxLength = 40) =>
  fc.oneof(anyText(maxLength), fc.string({ maxLength }), fc.constantFrom('', ' ', 'topic'));
const variableName = fc.oneof(
  fc.constantFrom('topic', 'constructor', '__proto__', 'toString', 'x', '1bad', 'a-b', ''),
  text(70),
);
const globalId = fc.oneof(
  fc
    .constantFrom('Template', 'Execution', 'User', 'Nope', '')
    .chain((type) =>
      fc
        .oneof(fc.uuid(), text(50), fc.constant('00000000-0000-0000-0000-000000000000'))
        .map((id) => Buffer.from(`${type}:${id}`).toString('base64')),
    ),
  text(60),
);
const cursor = fc.oneof(
  fc
    .tuple(fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String), text(10)), fc.uuid())
    .map(([millis, id]) => Buffer.from(`${millis}:${id}`).toString('base64url')),
  text(40),
);
const json = fc.jsonValue({ maxDepth: 3 });

type Result = Awaited<ReturnType<TestApp['gql']>>;

function expectNoServerFault(result: Pick<Result, 'errors'> & { status?: number }) {
  expect(result.status ?? 200).toBeLessThan(500);
  for (const error of result.errors ?? []) {
    const code = error.extensions?.code;
    expect(CODES.has(code), JSON.stringify(error)).toBe(true);
    expect(code).not.toBe('INTERNAL_SERVER_ERROR');
    expect(error.message).not.toMatch(/prisma|invalid byte sequence|\bat \/|node_modules|SQL/i);
  }
}

describe('fuzzed public operations', () => {
  it('createTemplate: no fault, and a refusal writes nothing', async () => {
    const input = fc.record(
      {
        name: text(),
        description: fc.option(text(), { nil: undefined }),
        prompt: fc.oneof(text(80), fc.constant('Hi {{topic}}'), fc.constant('{{constructor}}')),
        variables: fc.array(
          fc.record(
            {
              name: variableName,
              description: fc.option(text(), { nil: undefined }),
              required: fc.option(fc.boolean(), { nil: undefined }),
              default: fc.option(text(), { nil: undefined }),
            },
            { requiredKeys: ['name'] },
          ),
          { maxLength: 4 },
        ),
        model: fc.option(fc.oneof(fc.constantFrom('claude-sonnet-5', 'claude-haiku-4-5'), text()), {
          nil: undefined,
        }),
        maxTokens: fc.option(fc.integer({ min: -10, max: 100_000 }), { nil: undefined }),
        priceUsdc: fc.option(fc.oneof(fc.constantFrom('0', '0.01', '1e3', '-1'), text(12)), {
          nil: undefined,
        }),
        payTo: fc.option(fc.oneof(fc.constant(`0x${'ab'.repeat(20)}`), text()), { nil: undefined }),
        network: fc.option(fc.oneof(fc.constant('eip155:84532'), text()), { nil: undefined }),
      },
      { requiredKeys: ['name', 'prompt'] },
    );
    await fc.assert(
      fc.asyncProperty(input, async (candidate) => {
        const before = await rowCounts(app);
        const result = await app.gql(CREATE_TEMPLATE, { input: candidate }, { token });
        expectNoServerFault(result);
        const after = await rowCounts(app);
        if (result.errors) expect(after).toEqual(before);
        else expect(after?.templates).toBe((before?.templates ?? 0) + 1);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('executeTemplate: no fault, and a refusal writes no execution', async () => {
    const input = fc.record({
      templateId: fc.oneof(fc.constant(templateId), globalId),
      variables: fc.oneof(
        fc.record({ topic: fc.oneof(text(), json) }),
        fc.dictionary(variableName, fc.oneof(text(), json), { maxKeys: 3 }),
        json,
      ),
      payment: fc.option(fc.oneof(text(60), fc.base64String({ maxLength: 200 })), {
        nil: undefined,
      }),
    });
    await fc.assert(
      fc.asyncProperty(input, fc.boolean(), async (candidate, signedIn) => {
        const before = await rowCounts(app);
        const result = await app.gql(EXECUTE, { input: candidate }, signedIn ? { token } : {});
        expectNoServerFault(result);
        if (result.errors) expect(await rowCounts(app)).toEqual(before);
      }),
      { numRuns: RUNS },
    );
  });

  it('myExecutions, templates, node and nodes: no fault', async () => {
    const reads = fc.oneof(
      fc.record({
        query: fc.constant(MY_EXECUTIONS),
        variables: fc.record({
          templateId: fc.oneof(fc.constant(templateId), globalId),
          first: fc.option(fc.integer({ min: -5, max: 1000 }), { nil: undefined }),
          after: fc.option(cursor, { nil: undefined }),
        }),
      }),
      fc.record({
        query: fc.constant(
          'query($first: Int, $after: String) { templates(first: $first, after: $after) { totalCount edges { cursor node { id name variables { name default } } } } }',
        ),
        variables: fc.record({
          first: fc.option(fc.oneof(fc.integer({ min: -5, max: 1000 }), json), { nil: undefined }),
          after: fc.option(cursor, { nil: undefined }),
        }),
      }),
      fc.record({
        query: fc.constant('query($id: ID!) { node(id: $id) { id } }'),
        variables: fc.record({ id: fc.oneof(globalId, json) }),
      }),
      fc.record({
        query: fc.constant('query($ids: [ID!]!) { nodes(ids: $ids) { id } }'),
        variables: fc.record({ ids: fc.array(globalId, { maxLength: 5 }) }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(reads, fc.boolean(), async ({ query, variables }, signedIn) => {
        const before = await rowCounts(app);
        const result = await app.gql(query, variables, signedIn ? { token } : {});
        expectNoServerFault(result);
        expect(await rowCounts(app)).toEqual(before);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('the same operations over a WebSocket: no fault, never closed by the server', async () => {
    const socket = app.ws(token);
    // The lazy client closes with 1000 when idle; the server closes with 4400/4500 on a fault.
    const closeCodes: number[] = [];
    socket.on('closed', (event) => {
      closeCodes.push((event as { code: number }).code);
    });
    const operation = fc.oneof(
      fc
        .record({
          templateId: fc.oneof(fc.constant(templateId), globalId),
          variables: fc.oneof(fc.record({ topic: fc.oneof(text(), json) }), json),
        })
        .map((input) => ({ query: EXECUTE, variables: { input } as Record<string, unknown> })),
      fc.record({
        query: fc.constant(MY_EXECUTIONS),
        variables: fc.record({
          templateId: fc.oneof(fc.constant(templateId), globalId),
          after: fc.option(cursor, { nil: undefined }),
        }) as fc.Arbitrary<Record<string, unknown>>,
      }),
      fc.record({
        query: fc.constant('query($ids: [ID!]!) { nodes(ids: $ids) { id } }'),
        variables: fc.record({ ids: fc.array(globalId, { maxLength: 3 }) }) as fc.Arbitrary<
          Record<string, unknown>
        >,
      }),
    );
    await fc.assert(
      fc.asyncProperty(operation, async ({ query, variables }) => {
        const before = await rowCounts(app);
        const result = await overSocket(socket, query, variables);
        expectNoServerFault(result);
        if (result.errors) expect(await rowCounts(app)).toEqual(before);
      }),
      { numRuns: RUNS },
    );
    expect(closeCodes.filter((code) => code !== 1000)).toEqual([]);
    await socket.dispose();
  });
});
