import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { STATEMENT_CACHE_SIZE } from '../../src/db/pg-pipeline.ts';
import { REQUEST_ROLE } from '../../src/db/roles.ts';
import { sql, valuesAsSettings } from '../../src/db/sql.ts';
import { executionCountSql, executionPageSql } from '../../src/executions/execution-sql.ts';
import { createTestDatabase, databaseUrl, stack, type TestDatabase } from '../support/databases.ts';

// Database.runAs: one round trip of prepared statements on a pooled connection (PostgreSQL), one
// transaction (both). On PostgreSQL these run on a pool of ONE connection, behind a proxy that
// counts the server's ReadyForQuery messages (one per round trip) and can cut the connection.
const owner = '00000000-0000-4000-8000-00000000000a';
const alice = '00000000-0000-4000-8000-00000000000b';
const bob = '00000000-0000-4000-8000-00000000000c';
const template = '00000000-0000-4000-8000-0000000000f1';
const LOG = sql`x402_prompt_template_usage_logs`;

/** A loopback proxy to PostgreSQL counting ReadyForQuery ('Z') messages; reset() cuts it all. */
async function countingProxy(target: URL) {
  const sockets: Socket[] = [];
  const counts = { readyForQuery: 0 };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
        if (pending[0] === 0x5a) counts.readyForQuery++;
        pending = pending.subarray(1 + pending.readInt32BE(1));
      }
    });
    client.pipe(upstream).pipe(client);
    client.once('close', () => upstream.destroy());
    sockets.push(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString(),
    counts,
    reset: () => {
      for (const socket of sockets.splice(0)) socket.resetAndDestroy();
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const callers = (rows: Record<string, unknown>[]) => rows.map((row) => row.caller_id).sort();
const LEFT_BEHIND =
  "SELECT current_user AS role, nullif(current_setting('app.user_id', true), '') AS viewer";

describe('runAs: parameters, prepared statements, one round trip, one transaction', () => {
  let db: TestDatabase;
  /** PostgreSQL: a pool of one connection through the proxy; PGlite: its one connection. */
  let one: Database;
  let proxy: Awaited<ReturnType<typeof countingProxy>> | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.exec(`
      INSERT INTO users (id, name) VALUES ('${owner}', 'owner'), ('${alice}', 'alice'), ('${bob}', 'bob');
      INSERT INTO servers (id, name, registered_by) VALUES ('00000000-0000-4000-8000-0000000000e1', 's', '${owner}');
      INSERT INTO templates (id, server_id, name, description, prompt, model, max_tokens, price_usdc, pay_to, network)
        VALUES ('${template}', '00000000-0000-4000-8000-0000000000e1', 't', '', 'p', 'm', 10, 0, '0x${'0'.repeat(40)}', 'eip155:1');
      INSERT INTO x402_prompt_template_usage_logs (template_id, caller_id, status, completed_at)
        SELECT '${template}', caller, 'success', now()
        FROM (VALUES ('${alice}'::uuid), ('${alice}'::uuid), ('${alice}'::uuid), ('${bob}'::uuid), ('${bob}'::uuid)) AS c(caller);
    `);
    if (stack.postgres) {
      proxy = await countingProxy(
        new URL(databaseUrl(process.env.TEST_DATABASE_URL ?? '', db.name)),
      );
      one = await openDatabase({ databaseUrl: proxy.url, poolSize: 1 });
    } else {
      one = db;
    }
  });
  afterAll(async () => {
    if (one !== db) await one?.close();
    await proxy?.close();
    await db?.close();
  });

  const mine = sql`SELECT caller_id FROM ${LOG} WHERE template_id = ${sql.uuid(template)}`;

  it('gives each viewer their own rows when viewers alternate on one connection with the statement prepared', async () => {
    const pids = new Set<unknown>();
    for (let i = 0; i < 8; i++) {
      const viewer = i % 2 ? bob : alice;
      const [rows = [], [session] = []] = await one.runAs(REQUEST_ROLE, viewer, [
        mine,
        sql`SELECT pg_backend_pid() AS pid, (SELECT count(*)::int FROM pg_prepared_statements WHERE statement = ${mine.text}) AS prepared`,
      ]);
      expect(callers(rows)).toEqual(viewer === alice ? [alice, alice, alice] : [bob, bob]);
      pids.add(session?.pid);
      // Prepared once on this connection (PGlite runs unnamed statements: nothing to keep).
      expect(session?.prepared).toBe(stack.postgres ? 1 : 0);
    }
    expect(pids.size).toBe(1);
  });

  it('leaves no role or viewer on the connection after a pipeline that succeeds or fails midway', async () => {
    const leftBehind = async () => (await one.query(LEFT_BEHIND))[0];
    const pid = async () => (await one.query('SELECT pg_backend_pid() AS pid'))[0]?.pid;
    const connection = await pid();
    const clean = { role: expect.not.stringMatching(/^promptmeter_/), viewer: null };
    await one.runAs(REQUEST_ROLE, alice, [mine]);
    expect(await leftBehind()).toEqual(clean);
    // The error skips the rest of the pipeline: 'never' was not even parsed.
    const never = sql`SELECT 'never' AS never`;
    await expect(one.runAs(REQUEST_ROLE, alice, [mine, sql`SELECT 1 / 0`, never])).rejects.toThrow(
      /division by zero/,
    );
    expect(await leftBehind()).toEqual(clean);
    // The statement cache did not count the skipped Parse: it runs now (a missing statement fails).
    expect(await one.runAs(REQUEST_ROLE, bob, [never, mine])).toEqual([
      [{ never: 'never' }],
      [{ caller_id: bob }, { caller_id: bob }],
    ]);
    // Nor a Parse that failed: the same text fails the same way, and the connection still serves.
    const broken = sql`SELEC ${'x'}`;
    for (let i = 0; i < 2; i++) {
      await expect(one.runAs(REQUEST_ROLE, alice, [broken])).rejects.toThrow(/syntax error/);
    }
    expect(await leftBehind()).toEqual(clean);
    // A statement's error left the connection usable: kept in the pool, not replaced.
    expect(await pid()).toBe(connection);
    expect(callers((await one.runAs(REQUEST_ROLE, alice, [mine]))[0] ?? [])).toEqual([
      alice,
      alice,
      alice,
    ]);
  });

  it('copies out as the viewer in one round trip, its values as settings, leaving nothing behind', async () => {
    // COPY takes no parameters: the values travel as settings, the COPY's text never holds them.
    const hostile = "x'); DROP TABLE users; --";
    const page = valuesAsSettings(
      sql`SELECT caller_id, ${hostile}::text AS echo FROM ${LOG} WHERE template_id = ${sql.uuid(template)} ORDER BY caller_id`,
    );
    expect(page.text.text).not.toContain('DROP');
    expect(page.text.values).toEqual([]);
    const statements = [
      page.settings as NonNullable<typeof page.settings>,
      sql`COPY (${page.text}) TO STDOUT`,
    ];
    const copy = async (viewer: string) => {
      const chunks: Buffer[] = [];
      await one.copyOutAs(REQUEST_ROLE, viewer, statements, (chunk) =>
        chunks.push(Buffer.from(chunk)),
      );
      return Buffer.concat(chunks).toString('utf8');
    };
    const trips = proxy?.counts.readyForQuery ?? 0;
    expect(await copy(alice)).toBe(`${alice}\t${hostile}\n`.repeat(3));
    expect(await copy(bob)).toBe(`${bob}\t${hostile}\n`.repeat(2));
    if (proxy) expect(proxy.counts.readyForQuery - trips).toBe(2);
    const [left] = await one.query(`${LEFT_BEHIND}, current_setting('pm.v1', true) AS setting`);
    expect(left).toMatchObject({ role: expect.not.stringMatching(/^promptmeter_/), viewer: null });
    expect(left?.setting ?? '').toBe('');
    // A failing COPY rolls it all back and leaves the connection serving.
    await expect(
      one.copyOutAs(REQUEST_ROLE, alice, [sql`COPY (SELECT 1 / 0) TO STDOUT`], () => {}),
    ).rejects.toThrow(/division by zero/);
    expect(await copy(bob)).toBe(`${bob}\t${hostile}\n`.repeat(2));
    // A handler that throws (bytes it cannot read) fails this copy only: on pg it is called from
    // the socket's listener, where an uncaught throw would end the process.
    const unreadable = new Error('unreadable COPY data');
    await expect(
      one.copyOutAs(REQUEST_ROLE, alice, statements, () => {
        throw unreadable;
      }),
    ).rejects.toBe(unreadable);
    expect(await copy(bob)).toBe(`${bob}\t${hostile}\n`.repeat(2));
    expect(() => valuesAsSettings(sql`SELECT ${null}::text`)).toThrow(/NULL/);
  });

  it('re-prepares a statement whose result type a migration changed, once', async () => {
    await db.exec(`
      CREATE TABLE pipeline_probe (id int);
      INSERT INTO pipeline_probe VALUES (1);
      GRANT SELECT ON pipeline_probe TO ${REQUEST_ROLE};
    `);
    const probe = sql`SELECT * FROM pipeline_probe WHERE id = ${1}`;
    expect(await one.runAs(REQUEST_ROLE, null, [probe])).toEqual([[{ id: 1 }]]);
    await db.exec(`ALTER TABLE pipeline_probe ADD COLUMN note text DEFAULT 'added'`);
    expect(await one.runAs(REQUEST_ROLE, null, [probe])).toEqual([[{ id: 1, note: 'added' }]]);
  });

  it.skipIf(!stack.postgres)(
    'keeps at most STATEMENT_CACHE_SIZE statements prepared on a connection, the least recently used closed',
    async () => {
      const distinct = (i: number) => sql`SELECT ${i} AS ${sql.identifier(`n${i}`)}`;
      const total = STATEMENT_CACHE_SIZE + 100;
      for (let from = 0; from < total; from += 100) {
        const batch = Array.from({ length: 100 }, (_, i) => distinct(from + i));
        const results = await one.runAs(REQUEST_ROLE, null, batch);
        expect(results.map((rows) => Object.values(rows[0] ?? {})[0])).toEqual(
          batch.map((_, i) => from + i),
        );
      }
      const [[kept] = []] = await one.runAs(REQUEST_ROLE, null, [
        sql`SELECT count(*)::int AS n FROM pg_prepared_statements`,
      ]);
      // The cache's statements, plus the one just evicted for the count (closed next time).
      expect(kept?.n).toBeLessThanOrEqual(STATEMENT_CACHE_SIZE + 1);
      expect(kept?.n).toBeGreaterThanOrEqual(STATEMENT_CACHE_SIZE - 1);
      // An evicted statement is prepared again when it comes back.
      expect(await one.runAs(REQUEST_ROLE, null, [distinct(0)])).toEqual([[{ n0: 0 }]]);
    },
  );

  it.skipIf(!stack.postgres)('reads a history page and its count in one round trip', async () => {
    const filter = { templateId: template, callerId: alice };
    for (let i = 0; i < 3; i++) {
      const before = proxy?.counts.readyForQuery ?? 0;
      const [page = [], [count] = []] = await one.runAs(REQUEST_ROLE, alice, [
        executionPageSql(filter, 21, null),
        executionCountSql(filter),
      ]);
      expect((proxy?.counts.readyForQuery ?? 0) - before).toBe(1);
      expect([page.length, Number(count?.total)]).toEqual([3, 3]);
    }
  });

  it.skipIf(!stack.postgres)(
    'fails only the call whose connection is cut mid-pipeline; the pool serves the next',
    async () => {
      const cut = one.runAs(REQUEST_ROLE, alice, [mine, sql`SELECT pg_sleep(${5})`]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      proxy?.reset();
      await expect(cut).rejects.toThrow(/terminated|ECONNRESET|closed/i);
      expect(callers((await one.runAs(REQUEST_ROLE, bob, [mine]))[0] ?? [])).toEqual([bob, bob]);
      expect((await one.query(LEFT_BEHIND))[0]).toEqual({
        role: expect.not.stringMatching(/^promptmeter_/),
        viewer: null,
      });
    },
  );
});
