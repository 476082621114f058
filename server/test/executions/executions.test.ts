import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemplate, EXECUTION_LOGGED, execute, MY_EXECUTIONS } from '../support/operations.ts';
import { collect, type GraphQLResponse } from '../support/subscription-results.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Done-when 2: through the real HTTP + WebSocket server, an owner publishes, a caller runs and
// watches, failures are logged, history pages, and nobody else sees any of it.
describe('running templates and watching the log', () => {
  let app: TestApp;
  let owner: string;
  let caller: string;
  let stranger: string;
  let templateId: string;

  beforeAll(async () => {
    app = await startTestApp();
    [owner, caller, stranger] = await Promise.all([
      app.token('olive'),
      app.token('carl'),
      app.token('stan'),
    ]);
    templateId = await createTemplate(app, owner);
  });
  afterAll(() => app?.close());

  it('delivers a successful run to the subscribed caller with the exact token counts', async () => {
    const live = await app.watch(caller, EXECUTION_LOGGED, { templateId });
    app.modelServer.enqueue({
      kind: 'text',
      text: 'Leaves fall softly',
      inputTokens: 17,
      outputTokens: 5,
    });

    const run = await app.gql(
      `mutation($input: ExecuteTemplateInput!) { executeTemplate(input: $input) {
        output execution { id status inputTokens outputTokens amountPaid } } }`,
      { input: { templateId, variables: { topic: 'autumn' } } },
      { token: caller, network: true },
    );
    expect(run.errors).toBeUndefined();
    expect(run.data?.executeTemplate.output).toBe('Leaves fall softly');
    expect(app.modelServer.requests.at(-1)?.prompt).toBe('Write a haiku about autumn.');

    const [event] = await live.waitForFinals(1);
    expect(event?.data?.executionLogged).toMatchObject({
      id: run.data?.executeTemplate.execution.id,
      status: 'SUCCESS',
      inputTokens: 17,
      outputTokens: 5,
      amountPaid: '0',
      errorMessage: null,
      caller: { name: 'carl' },
    });
    live.unsubscribe();
  });

  it('logs a 529 from the model as FAILED with its message, and tells the subscriber', async () => {
    const live = await app.watch(caller, EXECUTION_LOGGED, { templateId });
    app.modelServer.enqueue({ kind: 'error', status: 529, message: 'Overloaded' });

    const run = await execute(app, caller, templateId);
    expect(run.errors).toBeUndefined();
    const execution = run.data?.executeTemplate.execution;
    expect(run.data?.executeTemplate.output).toBeNull();
    expect(execution.status).toBe('FAILED');
    expect(execution.errorMessage).toMatch(/529/);
    expect(execution.errorMessage).toMatch(/overloaded_error: Overloaded/);
    expect(execution.amountPaid).toBe('0');

    const [event] = await live.waitForFinals(1);
    expect(event?.data?.executionLogged).toMatchObject({ id: execution.id, status: 'FAILED' });
    live.unsubscribe();
  });

  it('pages 45 runs as 20 + 20 + 5, newest first, with cursors, hasNextPage and totalCount', async () => {
    const pager = await app.token('paula');
    for (let i = 0; i < 45; i++) {
      const run = await execute(app, pager, templateId, { topic: `run ${i}` });
      expect(run.data?.executeTemplate.execution.status).toBe('SUCCESS');
    }
    const pages: any[] = [];
    let after: string | null = null;
    do {
      const page: GraphQLResponse = await app.gql(
        MY_EXECUTIONS,
        { templateId, first: 20, after },
        { token: pager, network: true },
      );
      expect(page.errors).toBeUndefined();
      pages.push(page.data?.myExecutions);
      after = page.data?.myExecutions.pageInfo.hasNextPage
        ? page.data.myExecutions.pageInfo.endCursor
        : null;
    } while (after);

    expect(pages.map((page) => page.edges.length)).toEqual([20, 20, 5]);
    expect(pages.map((page) => page.pageInfo.hasNextPage)).toEqual([true, true, false]);
    expect(pages.map((page) => page.totalCount)).toEqual([45, 45, 45]);
    expect(pages[0].pageInfo.hasPreviousPage).toBe(false);
    const nodes = pages.flatMap((page) => page.edges.map((edge: any) => edge.node));
    expect(new Set(nodes.map((node) => node.id)).size).toBe(45);
    const times = nodes.map((node) => Date.parse(node.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const page of pages) {
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1).cursor);
      expect(page.pageInfo.startCursor).toBe(page.edges[0].cursor);
    }
  });

  it('pages through runs that share a timestamp without losing or repeating any', async () => {
    const tied = await app.token('tina');
    await app.gql('{ viewer { id } }', {}, { token: tied }); // first sight creates the user
    const rows = await app.db.query<{ id: string }>(
      `INSERT INTO x402_prompt_template_usage_logs (template_id, caller_id, status, completed_at, created_at)
       SELECT $1, $2, 'success', now(), '2026-01-01T00:00:00Z' FROM generate_series(1, 5) RETURNING id`,
      [Buffer.from(templateId, 'base64').toString().split(':')[1], app.userId('tina')],
    );
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: GraphQLResponse = await app.gql(
        MY_EXECUTIONS,
        { templateId, first: 2, after },
        { token: tied },
      );
      const connection = page.data?.myExecutions;
      seen.push(...connection.edges.map((edge: any) => edge.node.id));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
    } while (after);
    const expected = rows.map((row) => Buffer.from(`Execution:${row.id}`).toString('base64'));
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(expected));
  });

  it('shows another user none of the runs, by query or by subscription', async () => {
    const watching = await app.watch(stranger, EXECUTION_LOGGED, { templateId });
    const history = await app.gql(MY_EXECUTIONS, { templateId }, { token: stranger });
    expect(history.data?.myExecutions).toMatchObject({ totalCount: 0, edges: [] });

    const run = await execute(app, caller, templateId);
    const executionId = run.data?.executeTemplate.execution.id;
    const direct = await app.gql(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: executionId },
      {
        token: stranger,
      },
    );
    expect(direct.data?.node).toBeNull();
    // The owner's subscription is the control: the event was published and is readable.
    const ownerWatch = await app.watch(owner, EXECUTION_LOGGED, { templateId });
    const second = await execute(app, caller, templateId);
    expect((await ownerWatch.waitForFinals(1))[0]?.data?.executionLogged.id).toBe(
      second.data?.executeTemplate.execution.id,
    );
    expect(watching.results).toEqual([]);
    watching.unsubscribe();
    ownerWatch.unsubscribe();
  });

  it('delivers every run exactly once to many subscriptions of the same and of other viewers', async () => {
    const since = app.subscriptionsStarted();
    const watchers = [caller, owner].flatMap((token) =>
      Array.from({ length: 12 }, () => collect(app.ws(token), EXECUTION_LOGGED, { templateId })),
    );
    await app.waitForSubscribers(watchers.length, since);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await execute(app, caller, templateId)).data?.executeTemplate.execution.id);
    }
    for (const watcher of watchers) {
      await watcher.waitForFinals(5);
      expect(watcher.finals.map((result) => result.data?.executionLogged.id)).toEqual(ids);
      watcher.unsubscribe();
    }
  });

  it('lets the owner see every run of the template, and callers only their own', async () => {
    const query = `query($id: ID!) { node(id: $id) { ... on Template { executions(first: 100) { totalCount } } } }`;
    const asOwner = await app.gql(query, { id: templateId }, { token: owner });
    const asCaller = await app.gql(query, { id: templateId }, { token: caller });
    const mine = await app.gql(MY_EXECUTIONS, { templateId }, { token: caller });
    expect(asOwner.data?.node.executions.totalCount).toBe(2 + 45 + 5 + 2 + 5);
    expect(asCaller.data?.node.executions.totalCount).toBe(mine.data?.myExecutions.totalCount);
    expect(mine.data?.myExecutions.totalCount).toBe(4 + 5);
  });

  it('pages the same whether a page selects related records or only columns', async () => {
    // Column-only pages are read in one round trip on the driver; pages that select relations
    // load them with Prisma. Both must give the same rows, cursors, page info and counts.
    const ownerPage = (node: string) => `query($id: ID!, $after: String) { node(id: $id) {
      ... on Template { executions(first: 7, after: $after) { ...Counted
        edges { cursor node { ${node} } } pageInfo { hasNextPage endCursor } } } } }
      fragment Counted on ExecutionConnection { totalCount }`;
    const callerPage = (node: string) => `query($templateId: ID!, $after: String) {
      myExecutions(templateId: $templateId, first: 3, after: $after) { totalCount
        edges { cursor node { ${node} } } pageInfo { hasNextPage endCursor } } }`;
    const walk = async (query: string, variables: Record<string, unknown>, token: string) => {
      const pages: any[] = [];
      let after: string | null = null;
      do {
        const page: GraphQLResponse = await app.gql(query, { ...variables, after }, { token });
        expect(page.errors).toBeUndefined();
        const connection = page.data?.myExecutions ?? page.data?.node.executions;
        pages.push(connection);
        after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
      } while (after && pages.length < 3);
      return pages.map((connection) => ({
        totalCount: connection.totalCount,
        pageInfo: connection.pageInfo,
        rows: connection.edges.map((edge: any) => [edge.cursor, edge.node.id, edge.node.status]),
      }));
    };
    const columns = await walk(ownerPage('id status'), { id: templateId }, owner);
    const related = await walk(ownerPage('id status caller { name }'), { id: templateId }, owner);
    expect(columns).toEqual(related);
    expect(columns[0]?.totalCount).toBe(2 + 45 + 5 + 2 + 5);
    expect(columns.flatMap((page) => page.rows)).toHaveLength(21);

    const mine = await walk(callerPage('id status'), { templateId }, caller);
    const mineRelated = await walk(callerPage('id status template { id }'), { templateId }, caller);
    expect(mine).toEqual(mineRelated);
    expect(mine[0]?.totalCount).toBe(4 + 5);
  });

  it('refuses anonymous callers', async () => {
    const history = await app.gql(MY_EXECUTIONS, { templateId }, { network: true });
    expect(history.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(history.data).toBeNull();

    const run = await execute(app, undefined, templateId);
    expect(run.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const anonymous = collect(app.ws(null), EXECUTION_LOGGED, { templateId });
    const [refusal] = await anonymous.waitForFinals(1);
    expect(refusal?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(refusal?.data ?? null).toBeNull();
  });
});
