import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_TEMPLATE, createTemplate } from './support/operations.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

const payTo = `0x${'12'.repeat(20)}`;

describe('publishing templates', () => {
  let app: TestApp;
  let owner: string;
  let other: string;
  beforeAll(async () => {
    app = await startTestApp();
    [owner, other] = await Promise.all([app.token('olga'), app.token('otto')]);
  });
  afterAll(() => app?.close());

  const publish = (input: Record<string, unknown>) =>
    app.gql(
      CREATE_TEMPLATE,
      { input: { name: 'T', prompt: 'Say hi', ...input } },
      { token: owner },
    );

  it('publishes a template its author owns, with its price', async () => {
    const result = await publish({
      name: 'Priced',
      priceUsdc: '1.5',
      payTo,
      network: 'eip155:8453',
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.createTemplate.template).toMatchObject({
      name: 'Priced',
      priceUsdc: '1.5',
      viewerIsOwner: true,
      owner: { name: 'olga' },
    });
  });

  it('shows the prompt body to its owners only', async () => {
    const id = await createTemplate(app, owner, { prompt: 'Secret sauce about {{topic}}' });
    const query = `query($id: ID!) { template(id: $id) { prompt viewerIsOwner } }`;
    expect((await app.gql(query, { id }, { token: owner })).data?.template).toEqual({
      prompt: 'Secret sauce about {{topic}}',
      viewerIsOwner: true,
    });
    expect((await app.gql(query, { id }, { token: other })).data?.template).toEqual({
      prompt: null,
      viewerIsOwner: false,
    });
    expect((await app.gql(query, { id })).data?.template.prompt).toBeNull();
  });

  it.each([
    [{ name: '  ' }, 'name'],
    [{ prompt: '' }, 'prompt'],
    [{ maxTokens: 0 }, 'maxTokens'],
    [{ priceUsdc: '0.1234567', payTo }, 'priceUsdc'],
    [{ priceUsdc: '10000', payTo }, 'priceUsdc'],
    [{ priceUsdc: '0.01' }, 'payTo'],
    [{ priceUsdc: '0.01', payTo: '0x123' }, 'payTo'],
    [{ network: 'base' }, 'network'],
    [{ priceUsdc: '0.01', payTo, network: 'eip155:999999' }, 'network'],
    [{ prompt: 'Hi {{name}}' }, 'variables'],
    [{ prompt: 'Hi {{name}}', variables: [{ name: 'name' }, { name: 'name' }] }, 'variables'],
  ])('refuses %o naming the field %s, and writes nothing', async (input, field) => {
    const count = async () =>
      (await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM templates'))[0]?.n;
    const before = await count();
    const result = await publish(input);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await count()).toBe(before);
  });

  it('refuses anonymous publishers', async () => {
    const result = await app.gql(CREATE_TEMPLATE, { input: { name: 'T', prompt: 'Say hi' } });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('lists every template newest first, in pages', async () => {
    for (let i = 0; i < 3; i++) await createTemplate(app, other, { name: `Page ${i}` });
    const query = `query($after: String) { templates(first: 2, after: $after) {
      totalCount edges { node { name } } pageInfo { hasNextPage endCursor } } }`;
    const first = (await app.gql(query, {})).data?.templates;
    expect(first.edges.map((edge: any) => edge.node.name)).toEqual(['Page 2', 'Page 1']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await app.gql(query, { after: first.pageInfo.endCursor })).data?.templates;
    expect(second.edges[0].node.name).toBe('Page 0');
    expect(second.totalCount).toBe(first.totalCount);
  });
});
