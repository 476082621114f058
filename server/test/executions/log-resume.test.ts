import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, stack } from '../support/databases.ts';
import { createTemplate, execute } from '../support/operations.ts';
import { collect } from '../support/subscription-results.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const RESUMABLE = /* GraphQL */ `
  subscription Resumable($templateId: ID!, $after: String) {
    executionLogged(templateId: $templateId, after: $after) { id status logPosition }
  }
`;

const dbIdOf = (globalId: string) => Buffer.from(globalId, 'base64').toString().split(':')[1];

// Live history that never misses a row: a subscriber that passes the last position it saw gets
// every change after it from the database, in position order, then goes on live.
describe('executionLogged resumes after a position', () => {
  let app: TestApp;
  let owner: string;
  let caller: string;
  let templateId: string;
  const run = async () => {
    const result = await execute(app, caller, templateId);
    expect(result.errors).toBeUndefined();
    return result.data?.executeTemplate.execution.id as string;
  };

  beforeAll(async () => {
    app = await startTestApp();
    [owner, caller] = await Promise.all([app.token('rhea'), app.token('rufus')]);
    templateId = await createTemplate(app, owner);
  });
  afterAll(() => app?.close());

  it('delivers every run that ended while it was away, once, in order, then goes on live', async () => {
    const first = await app.watch(caller, RESUMABLE, { templateId });
    const seen = await run();
    const [event] = await first.waitForFinals(1);
    expect(event?.data?.executionLogged).toMatchObject({ id: seen, status: 'SUCCESS' });
    const position = event?.data?.executionLogged.logPosition as string;
    first.unsubscribe();

    const missed = [await run(), await run(), await run()];
    const resumed = await app.watch(caller, RESUMABLE, { templateId, after: position });
    const caughtUp = await resumed.waitForFinals(3);
    expect(caughtUp.map((result) => result.data?.executionLogged.id)).toEqual(missed);
    // Positions only move forward, and each is its row's own.
    const positions = caughtUp.map((result) => result.data?.executionLogged.logPosition);
    expect(new Set([position, ...positions]).size).toBe(4);

    const live = await run();
    const all = await resumed.waitForFinals(4);
    expect(all.map((result) => result.data?.executionLogged.id)).toEqual([...missed, live]);
    expect(resumed.results.filter((r) => r.data?.executionLogged.id === seen)).toEqual([]);
    resumed.unsubscribe();
  });

  it('shows a run when it starts, then the same row in its final state', async () => {
    const watcher = await app.watch(owner, RESUMABLE, { templateId });
    app.modelServer.enqueue({ kind: 'delay', ms: 500 });
    const id = await run();
    await watcher.waitForFinals(1);
    expect(
      watcher.results.map((r) => [r.data?.executionLogged.id, r.data?.executionLogged.status]),
    ).toEqual([
      [id, 'RUNNING'],
      [id, 'SUCCESS'],
    ]);
    watcher.unsubscribe();
  });

  it('refuses a position it did not write', async () => {
    const bad = collect(app.ws(caller), RESUMABLE, { templateId, after: 'not-a-position' });
    const [refusal] = await bad.waitFor(1);
    expect(refusal?.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'after',
    });
  });

  // The commit watermark: a change that commits after a later-stamped one is still delivered
  // first, and nothing stamped later is delivered while it is in flight.
  it.skipIf(!stack.postgres)(
    'holds back changes behind a transaction still in flight',
    async () => {
      // The owner reads every run of the template; the early row is the owner's own (a row of
      // the caller's would hold the caller's run counter, which the later run needs, until it
      // commits).
      const watcher = await app.watch(owner, RESUMABLE, { templateId });
      const client = new pg.Client({
        connectionString: databaseUrl(process.env.TEST_DATABASE_URL as string, app.database.name),
      });
      await client.connect();
      try {
        await client.query('BEGIN');
        const [early] = (
          await client.query(
            // 60 days ago: the analytics rollups it updates (and locks until it commits), up to
            // the 28-day pieces of migration 010, are not the ones the later run updates.
            `INSERT INTO x402_prompt_template_usage_logs (template_id, caller_id, status, created_at, completed_at, execution_time_ms)
           VALUES ($1, $2, 'success', now() - interval '60 days', now() - interval '60 days', 1) RETURNING id`,
            [dbIdOf(templateId), app.userId('rhea')],
          )
        ).rows;
        const later = dbIdOf(await run()); // stamped after `early`, committed before it
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(watcher.finals.map((r) => dbIdOf(r.data?.executionLogged.id))).not.toContain(later);
        await client.query('COMMIT');
        const finals = await watcher.waitForFinals(2);
        expect(finals.map((r) => dbIdOf(r.data?.executionLogged.id))).toEqual([early.id, later]);
      } finally {
        await client.end();
        watcher.unsubscribe();
      }
    },
  );
});
