import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viewerClient } from '../../src/db/viewer-client.ts';
import { parseTemplateInput, publishTemplate } from '../../src/templates/publish.ts';
import { CREATE_TEMPLATE, createTemplate, EXECUTE, MY_EXECUTIONS } from '../support/operations.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { rowCounts, transports } from './support.ts';

// Issue 12, "bad input → INTERNAL_SERVER_ERROR" and "amplification": each finding replayed over
// HTTP and graphql-ws. A refusal is BAD_USER_INPUT and writes nothing.
let app: TestApp;
let owner: string;
beforeAll(async () => {
  app = await startTestApp();
  owner = await app.token('inputs-owner');
});
afterAll(() => app?.close());

const globalId = (text: string) => Buffer.from(text).toString('base64');
const cursor = (text: string) => Buffer.from(text).toString('base64url');
const UUID = '00000000-0000-4000-8000-000000000000';

describe.each(transports(() => app))('over %s', (transport, send) => {
  const refusedWithoutWrite = async (
    query: string,
    variables: Record<string, unknown>,
    token?: string,
    field?: string,
  ) => {
    const before = await rowCounts(app);
    const result = await send(query, variables, token);
    expect(result.status ?? 200).toBeLessThan(500);
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      ...(field ? { field } : {}),
    });
    expect(await rowCounts(app)).toEqual(before);
    return result;
  };

  it.each([
    ['NUL in the name', { name: 'a\u0000b' }],
    ['a lone surrogate in the name', { name: 'a\ud800b' }],
    ['NUL in the prompt', { prompt: 'Say hi\u0000' }],
    ['a lone low surrogate in the description', { description: '\udc00' }],
    ['NUL in a variable default', { variables: [{ name: 'x', required: false, default: '\0' }] }],
    [
      'a lone surrogate in a variable description',
      { variables: [{ name: 'x', description: 'a\ud83d' }] },
    ],
  ])(
    'refuses %s in createTemplate, and a first refusal leaves no server row',
    async (_case, input) => {
      // A user publishing for the first time: before, the server row was written, then the template
      // was refused by the database (orphan row + INTERNAL_SERVER_ERROR).
      const newcomer = await app.token(`newcomer-${Math.random().toString(36).slice(2)}`);
      await refusedWithoutWrite(
        CREATE_TEMPLATE,
        { input: { name: 'T', prompt: 'Say hi {{x}}', variables: [{ name: 'x' }], ...input } },
        newcomer,
      );
    },
  );

  it('still takes text with paired surrogates (emoji)', async () => {
    const result = await send(
      CREATE_TEMPLATE,
      { input: { name: 'Haiku 🌸', prompt: 'Hi 🌸' } },
      owner,
    );
    expect(result.errors).toBeUndefined();
  });

  it.each([
    ['a 900 KB variable default', [{ name: 'x', required: false, default: 'd'.repeat(900_000) }]],
    ['a 2,001-character default', [{ name: 'x', required: false, default: 'd'.repeat(2001) }]],
    ['a 501-character variable description', [{ name: 'x', description: 'd'.repeat(501) }]],
    [
      'variables over 16 KB together',
      Array.from({ length: 12 }, (_, i) => ({
        name: `v${i}`,
        required: false,
        default: 'd'.repeat(1500),
      })),
    ],
    ['a variable named constructor', [{ name: 'constructor', required: false }]],
    ['a variable named __proto__', [{ name: '__proto__', required: false }]],
    ['a variable named toString', [{ name: 'toString', required: false }]],
  ])('refuses %s (amplification, shadowed properties)', async (_case, variables) => {
    await refusedWithoutWrite(
      CREATE_TEMPLATE,
      { input: { name: 'T', prompt: 'Hi', variables } },
      owner,
      'variables',
    );
  });

  it('refuses a description over 2,000 characters', async () => {
    await refusedWithoutWrite(
      CREATE_TEMPLATE,
      { input: { name: 'T', prompt: 'Hi', description: 'd'.repeat(2001) } },
      owner,
      'description',
    );
  });

  it('refuses NUL and lone surrogates in run variables, before any row', async () => {
    const id = await createTemplate(app, owner);
    for (const topic of ['a\u0000', '\ud800']) {
      await refusedWithoutWrite(
        EXECUTE,
        { input: { templateId: id, variables: { topic } } },
        owner,
        'input',
      );
    }
    // …and as an object key, or a string literal of the document.
    await refusedWithoutWrite(
      EXECUTE,
      { input: { templateId: id, variables: { 'a\u0000': 'x' } } },
      owner,
    );
    await refusedWithoutWrite(
      `mutation { executeTemplate(input: { templateId: "${id}", variables: { topic: "a\\u0000" } }) { output } }`,
      {},
      owner,
    );
  });

  it.each([
    ['an inner value that is not a UUID', globalId('Template:not-a-uuid')],
    ['an unknown type', globalId(`Nope:${UUID}`)],
    ['no type', globalId(UUID)],
    ['garbage', '%%%'],
    ['a huge id', 'A'.repeat(10_000)],
  ])('refuses node ids with %s', async (_case, id) => {
    await refusedWithoutWrite(`query($id: ID!) { node(id: $id) { id } }`, { id });
    await refusedWithoutWrite(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
      ids: [globalId(`Template:${UUID}`), id],
    });
  });

  it.skipIf(transport === 'HTTP')('refuses malformed ids in a subscription', async () => {
    for (const templateId of [globalId('Template:not-a-uuid'), '%%%', 'a\u0000']) {
      const result = await send(
        `subscription($templateId: ID!) { executionLogged(templateId: $templateId) { id } }`,
        { templateId },
        owner,
      );
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it.each([
    ['far in the future', cursor(`8640000000000000:${UUID}`)],
    ['past the year 9999', cursor(`253402300800000:${UUID}`)],
    ['garbage', '@@@'],
    ['not base64 of a position', cursor('hello')],
  ])('refuses cursors %s', async (_case, after) => {
    const id = await createTemplate(app, owner);
    await refusedWithoutWrite(
      `query($after: String) { templates(after: $after) { totalCount } }`,
      {
        after,
      },
      undefined,
      'after',
    );
    await refusedWithoutWrite(MY_EXECUTIONS, { templateId: id, after }, owner, 'after');
  });

  it('gives coercion errors a code and the name of the operation’s own variable', async () => {
    const nested = await refusedWithoutWrite(
      CREATE_TEMPLATE,
      { input: { name: 'T', prompt: 'Hi', maxTokens: 'many' } },
      owner,
      'input',
    );
    // graphql-jit called it "$maxTokens", a variable the document does not have.
    expect(nested.errors?.[0]?.message).toMatch(/^Variable "\$input" got invalid value/);
    const missing = await refusedWithoutWrite(
      `query($first: Int!) { templates(first: $first) { totalCount } }`,
      {},
      undefined,
      'first',
    );
    expect(missing.errors?.[0]?.message).toContain('"$first"');
    // A huge value is not sent back in full.
    const huge = await refusedWithoutWrite(
      `query($first: Int) { templates(first: $first) { totalCount } }`,
      {
        first: 'x'.repeat(100_000),
      },
    );
    expect(huge.errors?.[0]?.message.length).toBeLessThan(400);
  });

  it('runs with a variable inside a JSON literal (variables: {topic: $x})', async () => {
    const id = await createTemplate(app, owner);
    const result = await send(
      `mutation($id: ID!, $x: String) {
        executeTemplate(input: { templateId: $id, variables: { topic: $x } }) { output execution { status } }
      }`,
      { id, x: 'lanterns' },
      owner,
    );
    expect(result.errors).toBeUndefined();
    expect((result.data as any).executeTemplate.execution.status).toBe('SUCCESS');
  });
});

describe('publication in one transaction', () => {
  it('leaves no server row when the database refuses a first template', async () => {
    const name = `first-${Math.random().toString(36).slice(2)}`;
    const token = await app.token(name);
    await app.gql('{ viewer { id } }', {}, { token }); // the user exists from here on
    const viewer = { id: app.userId(name), name };
    const template = parseTemplateInput({ name: 'T', prompt: 'Hi' }, () => true);
    // Past what the schema allows (CHECK max_tokens <= 64000): refused by the database itself,
    // after the server row would have been written by the old two-statement publication.
    await expect(
      publishTemplate(viewerClient(app.db.prisma, viewer.id), viewer, {
        ...template,
        maxTokens: 70_000,
      }),
    ).rejects.toThrow();
    const [servers] = await app.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM servers WHERE registered_by = $1',
      [viewer.id],
    );
    expect(servers?.n).toBe(0);
  });
});

describe('templates stored before names were checked', () => {
  it('run without their optional `constructor` variable', async () => {
    const id = await createTemplate(app, owner, { prompt: 'Hi', variables: [] });
    const dbId = Buffer.from(id, 'base64').toString().split(':')[1];
    await app.db.query(
      `UPDATE templates SET prompt = 'Hi {{constructor}} {{toString}}',
         variables = '[{"name":"constructor","description":"","required":false,"default":"you"},
                       {"name":"toString","description":"","required":false,"default":null}]'::jsonb
       WHERE id = $1`,
      [dbId],
    );
    const result = await app.gql(
      EXECUTE,
      { input: { templateId: id, variables: {} } },
      { token: owner },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.executeTemplate.execution.status).toBe('SUCCESS');
  });
});
