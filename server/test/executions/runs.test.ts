import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
      executionLog: { retryDelaysMs: [10, 20], report: (message) => reports.push(message) },
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

  it('writes the row whole at the end when the start could not be written', async () => {
    await app.db.query(`REVOKE INSERT ON ${LOG} FROM promptmeter_backend`);
    app.modelServer.enqueue({
      kind: 'delay',
      ms: 400,
      after: { kind: 'text', text: 'late', inputTokens: 3, outputTokens: 1 },
    });
    reports.length = 0;
    const running = execute(app, caller, templateId);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the start's retries are spent
    await app.db.query(`GRANT INSERT ON ${LOG} TO promptmeter_backend`);
    const run = await running;
    const execution = run.data?.executeTemplate.execution;
    expect(reports).toEqual([
      expect.stringMatching(/writing the running row FAILED after 3 attempts/),
    ]);
    expect(execution).toMatchObject({ status: 'SUCCESS', inputTokens: 3, outputTokens: 1 });
    expect(
      await app.db.query(`SELECT status FROM ${LOG} WHERE id = $1`, [fromGlobalId(execution.id)]),
    ).toEqual([{ status: 'success' }]);
  });

  it('returns the result and reports loudly when the log cannot be written at all', async () => {
    const before = await rowCount();
    await app.db.query(`REVOKE INSERT, UPDATE ON ${LOG} FROM promptmeter_backend`);
    reports.length = 0;
    app.modelServer.enqueue({ kind: 'text', text: 'still answered' });
    const run = await execute(app, caller, templateId).finally(() =>
      app.db.query(`GRANT INSERT, UPDATE ON ${LOG} TO promptmeter_backend`),
    );
    expect(run.data?.executeTemplate.output).toBe('still answered');
    expect(run.data?.executeTemplate.execution.status).toBe('SUCCESS');
    expect(reports).toHaveLength(2);
    expect(reports[1]).toMatch(/completing run .* FAILED after 3 attempts/);
    expect(await rowCount()).toBe(before);
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

  it('marks runs left running by a crash as failed "interrupted", and announces them', async () => {
    const [row] = await app.db.query<{ id: string }>(
      `INSERT INTO ${LOG} (template_id, caller_id, status, created_at) VALUES ($1, $2, 'running', now() - interval '1 hour') RETURNING id`,
      [fromGlobalId(templateId), app.userId('caller')],
    );
    const fresh = await app.db.query<{ id: string }>(
      `INSERT INTO ${LOG} (template_id, caller_id, status) VALUES ($1, $2, 'running') RETURNING id`,
      [fromGlobalId(templateId), app.userId('caller')],
    );
    const swept = await app.services.executionLog.failInterrupted(15 * 60_000);
    expect(swept.map((r) => r.id)).toEqual([row?.id]);
    const rows = await app.db.query(
      `SELECT id, status, error_message FROM ${LOG} WHERE id = ANY($1) ORDER BY status`,
      [[row?.id, fresh[0]?.id]],
    );
    expect(rows).toEqual([
      { id: row?.id, status: 'failed', error_message: 'interrupted' },
      { id: fresh[0]?.id, status: 'running', error_message: null },
    ]);
  });
});

function globalId(type: string, id: string) {
  return Buffer.from(`${type}:${id}`).toString('base64');
}

function fromGlobalId(id: string) {
  return Buffer.from(id, 'base64').toString().split(':')[1];
}
