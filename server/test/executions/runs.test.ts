import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { countTokens } from '../../src/llm/offline-messages-api.ts';
import { createTemplate, execute } from '../support/operations.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const LOG = 'x402_prompt_template_usage_logs';

// Nothing lost: every run that starts ends as exactly one final row, whatever fails; input and
// payment errors are refused before anything is written.
describe('the run pipeline', () => {
  let app: TestApp;
  let owner: string;
  let caller: string;
  let templateId: string;
  const reports: string[] = [];

  beforeAll(async () => {
    app = await startTestApp({
      executionLog: {
        retryDelaysMs: [10, 20],
        maxRetryDelayMs: 200,
        report: (message) => reports.push(message),
      },
    });
    [owner, caller] = await Promise.all([app.token('owner'), app.token('caller')]);
    templateId = await createTemplate(app, owner);
  });
  afterAll(() => app?.close());

  const rowCount = async () =>
    (
      (await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${LOG}`))[0] as {
        n: number;
      }
    ).n;

  it.each([
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [529, 'overloaded_error'],
  ])('logs a %i from the model as one FAILED row naming %s', async (status, type) => {
    const before = await rowCount();
    app.modelServer.enqueue({ kind: 'error', status });
    const run = await execute(app, caller, templateId);
    const execution = run.data?.executeTemplate.execution;
    expect(execution).toMatchObject({ status: 'FAILED', amountPaid: '0' });
    expect(execution.errorMessage).toContain(`${status} ${type}`);
    expect(await rowCount()).toBe(before + 1);
    const [row] = await app.db.query(
      `SELECT status, error_message, completed_at FROM ${LOG} WHERE id = $1`,
      [fromGlobalId(execution.id)],
    );
    expect(row).toMatchObject({ status: 'failed', error_message: execution.errorMessage });
    expect(row?.completed_at).not.toBeNull();
  });

  it('logs a stream that breaks midway as FAILED, with the tokens seen so far', async () => {
    app.modelServer.enqueue({ kind: 'break', text: 'one two three four five six', afterChunks: 3 });
    const run = await execute(app, caller, templateId, { topic: 'rivers' });
    const execution = run.data?.executeTemplate.execution;
    expect(run.data?.executeTemplate.output).toBeNull();
    expect(execution.status).toBe('FAILED');
    expect(execution.errorMessage).toMatch(/stream interrupted after 3 chunks/);
    expect(execution.inputTokens).toBe(countTokens('Write a haiku about rivers.'));
    expect(execution.outputTokens).not.toBeNull();
  });

  it.each([
    [
      'an unknown template',
      () => ({ templateId: globalId('Template', crypto.randomUUID()), variables: { topic: 'x' } }),
      'NOT_FOUND',
    ],
    ['a malformed id', () => ({ templateId: 'nope', variables: { topic: 'x' } }), 'BAD_USER_INPUT'],
    [
      'an id of another type',
      () => ({ templateId: globalId('User', crypto.randomUUID()), variables: {} }),
      'BAD_USER_INPUT',
    ],
    ['a missing required variable', () => ({ templateId, variables: {} }), 'BAD_USER_INPUT'],
    [
      'an unknown variable',
      () => ({ templateId, variables: { topic: 'x', colour: 'red' } }),
      'BAD_USER_INPUT',
    ],
    ['variables that are not an object', () => ({ templateId, variables: 'x' }), 'BAD_USER_INPUT'],
  ])('refuses %s with a clear error and writes nothing', async (_, input, code) => {
    const before = await rowCount();
    const requests = app.modelServer.requests.length;
    const run = await app.gql(
      `mutation($input: ExecuteTemplateInput!) { executeTemplate(input: $input) { output } }`,
      { input: input() },
      { token: caller },
    );
    expect(run.errors?.[0]?.extensions?.code).toBe(code);
    expect(run.errors?.[0]?.message.length).toBeGreaterThan(10);
    expect(await rowCount()).toBe(before);
    expect(app.modelServer.requests.length).toBe(requests);
  });

  it('refuses a non-owner run of a priced template with PAYMENT_REQUIRED and writes nothing', async () => {
    const priced = await createTemplate(app, owner, {
      priceUsdc: '0.25',
      payTo: `0x${'ab'.repeat(20)}`,
    });
    const before = await rowCount();
    const run = await execute(app, caller, priced);
    expect(run.errors?.[0]?.extensions?.code).toBe('PAYMENT_REQUIRED');
    expect(await rowCount()).toBe(before);
    // Its owner runs it free.
    const own = await execute(app, owner, priced);
    expect(own.data?.executeTemplate.execution).toMatchObject({
      status: 'SUCCESS',
      amountPaid: '0',
    });
  });

  it('runs nothing and answers SERVICE_UNAVAILABLE when its running row cannot be written', async () => {
    const before = await rowCount();
    const modelCalls = app.modelServer.requests.length;
    await app.db.query(`REVOKE INSERT ON ${LOG} FROM promptmeter_backend`);
    reports.length = 0;
    const run = await execute(app, caller, templateId).finally(() =>
      app.db.query(`GRANT INSERT ON ${LOG} TO promptmeter_backend`),
    );
    expect(run.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(run.status).toBe(503);
    expect(app.modelServer.requests.length).toBe(modelCalls);
    expect(await rowCount()).toBe(before);
    expect(reports).toEqual([expect.stringMatching(/writing the running row of run .* failed/)]);
  });

  it('answers what the model said while the final row cannot be written, and writes it once it can', async () => {
    // The running row is written; its completion (an upsert, so also an UPDATE) is refused.
    await app.db.query(`REVOKE UPDATE ON ${LOG} FROM promptmeter_backend`);
    reports.length = 0;
    app.modelServer.enqueue({
      kind: 'text',
      text: 'still answered',
      inputTokens: 3,
      outputTokens: 2,
    });
    let run: Awaited<ReturnType<typeof execute>>;
    try {
      run = await execute(app, caller, templateId);
      const id = fromGlobalId(run.data?.executeTemplate.execution.id);
      expect(run.data?.executeTemplate).toMatchObject({
        output: 'still answered',
        execution: { status: 'SUCCESS', inputTokens: 3, outputTokens: 2 },
      });
      expect(await app.db.query(`SELECT status FROM ${LOG} WHERE id = $1`, [id])).toEqual([
        { status: 'running' },
      ]);
      expect(reports).toEqual([
        expect.stringMatching(/run .* journaled until the database takes it/),
      ]);
    } finally {
      await app.db.query(`GRANT UPDATE ON ${LOG} TO promptmeter_backend`);
    }
    const id = fromGlobalId(run.data?.executeTemplate.execution.id);
    await vi.waitFor(
      async () =>
        expect(
          await app.db.query(`SELECT status, output_tokens FROM ${LOG} WHERE id = $1`, [id]),
        ).toEqual([{ status: 'success', output_tokens: 2 }]),
      { timeout: 10_000, interval: 50 },
    );
  });

  it('holds no database connection while the model is being awaited', async () => {
    // More runs in flight than the pool has connections (10), all waiting on a slow model.
    const inFlight = 12;
    const seen = app.modelServer.requests.length;
    for (let i = 0; i < inFlight; i++) {
      app.modelServer.enqueue({ kind: 'delay', ms: 1500, after: { kind: 'text', text: `r${i}` } });
    }
    let finished = 0;
    const runs = Array.from({ length: inFlight }, (_, i) =>
      execute(app, caller, templateId, { topic: `slow ${i}` }).then((run) => {
        finished++;
        return run;
      }),
    );
    while (app.modelServer.requests.length < seen + inFlight) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Had any run kept its connection (or a transaction) open, this read would wait for them.
    const history = await app.gql(`{ viewer { name } }`, {}, { token: caller });
    expect(history.data?.viewer.name).toBe('caller');
    expect(finished).toBe(0);
    const results = await Promise.all(runs);
    expect(results.map((run) => run.data?.executeTemplate.execution.status)).toEqual(
      Array(inFlight).fill('SUCCESS'),
    );
  });
});

function globalId(type: string, id: string) {
  return Buffer.from(`${type}:${id}`).toString('base64');
}

function fromGlobalId(id: string) {
  return Buffer.from(id, 'base64').toString().split(':')[1];
}
