import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { asRole, BACKEND_ROLE, REQUEST_ROLE } from '../../src/db/roles.ts';
import { sql } from '../../src/db/sql.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';

// Done-when 4: row-level security holds below GraphQL, for raw SQL run as the request role.
const owner = '00000000-0000-4000-8000-00000000000a';
const alice = '00000000-0000-4000-8000-00000000000b';
const bob = '00000000-0000-4000-8000-00000000000c';
const template = '00000000-0000-4000-8000-0000000000f1';
const LOG = 'x402_prompt_template_usage_logs';

/** Runs `sql` the way a request does: in a transaction, as `role`, with the viewer set. */
function as(
  db: Database,
  role: string,
  userId: string | null,
  sql: string,
  params: unknown[] = [],
) {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT set_config('role', $1, true), set_config('app.user_id', $2, true)`, [
      role,
      userId ?? '',
    ]);
    return tx.query<Record<string, unknown>>(sql, params);
  });
}

describe('row-level security on the execution log', () => {
  let db: TestDatabase;
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
  });
  afterAll(() => db?.close());

  const callers = (rows: Record<string, unknown>[]) => rows.map((row) => row.caller_id).sort();
  const SELECT_ALL_SQL = sql`SELECT caller_id FROM x402_prompt_template_usage_logs`;
  const SELECT_ALL = SELECT_ALL_SQL.text;

  it('shows a caller only their own rows, with the backend seeing all as the control', async () => {
    expect(callers(await as(db, REQUEST_ROLE, alice, SELECT_ALL))).toEqual([alice, alice, alice]);
    expect(callers(await as(db, REQUEST_ROLE, bob, SELECT_ALL))).toEqual([bob, bob]);
    expect(await as(db, REQUEST_ROLE, null, SELECT_ALL)).toEqual([]);
    expect(await as(db, BACKEND_ROLE, null, SELECT_ALL)).toHaveLength(5);
  });

  it("shows a template's owners every row of it", async () => {
    expect(await as(db, REQUEST_ROLE, owner, SELECT_ALL)).toHaveLength(5);
    // The verified owner of the server is an owner too.
    await db.query('UPDATE servers SET verified_owner_id = $1', [bob]);
    expect(await as(db, REQUEST_ROLE, bob, SELECT_ALL)).toHaveLength(5);
    await db.query('UPDATE servers SET verified_owner_id = NULL');
  });

  it('denies the request role any write to the log', async () => {
    await expect(
      as(
        db,
        REQUEST_ROLE,
        alice,
        `INSERT INTO x402_prompt_template_usage_logs (template_id, caller_id, status) VALUES ($1, $2, 'running')`,
        [template, alice],
      ),
    ).rejects.toThrow(/permission denied|row-level security/);
    await expect(
      as(
        db,
        REQUEST_ROLE,
        alice,
        `UPDATE x402_prompt_template_usage_logs SET status = 'failed', error_message = 'x'`,
      ),
    ).rejects.toThrow(/permission denied/);
    await expect(
      as(db, REQUEST_ROLE, owner, 'DELETE FROM x402_prompt_template_usage_logs'),
    ).rejects.toThrow(/permission denied/);
    expect(await as(db, BACKEND_ROLE, null, SELECT_ALL)).toHaveLength(5);
  });

  it('lets only the backend write logs, and nobody delete them', async () => {
    const [row] = await as(
      db,
      BACKEND_ROLE,
      null,
      `INSERT INTO x402_prompt_template_usage_logs (template_id, caller_id, status) VALUES ($1, $2, 'running') RETURNING id`,
      [template, bob],
    );
    expect(row?.id).toBeTruthy();
    await expect(
      as(db, BACKEND_ROLE, null, 'DELETE FROM x402_prompt_template_usage_logs'),
    ).rejects.toThrow(/permission denied/);
    await db.query('DELETE FROM x402_prompt_template_usage_logs WHERE id = $1', [row?.id]);
  });

  it('serves requests as a role that cannot bypass RLS', async () => {
    const [role] = await db.query(
      'SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1',
      [REQUEST_ROLE],
    );
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolcanlogin: false });
    const [table] = await db.query(
      `SELECT pg_get_userbyid(relowner) AS owner, relrowsecurity FROM pg_class WHERE relname = 'x402_prompt_template_usage_logs'`,
    );
    expect(table?.owner).not.toBe(REQUEST_ROLE);
    expect(table?.relrowsecurity).toBe(true);
  });

  it('cannot be told who the viewer is by another setting name', async () => {
    const rows = await db.transaction(async (tx) => {
      await tx.query(`SELECT set_config('role', $1, true), set_config('app.viewer', $2, true)`, [
        REQUEST_ROLE,
        alice,
      ]);
      return tx.query(SELECT_ALL);
    });
    expect(rows).toEqual([]);
  });

  it('keeps exact per-caller run counts, readable by their caller only', async () => {
    const counts = 'SELECT caller_id, runs::int FROM x402_usage_log_counts ORDER BY runs DESC';
    expect(await db.query(counts)).toEqual([
      { caller_id: alice, runs: 3 },
      { caller_id: bob, runs: 2 },
    ]);
    expect(await as(db, REQUEST_ROLE, alice, counts)).toEqual([{ caller_id: alice, runs: 3 }]);
    expect(await as(db, REQUEST_ROLE, owner, counts)).toEqual([]);
    await expect(
      as(db, REQUEST_ROLE, alice, 'UPDATE x402_usage_log_counts SET runs = 0'),
    ).rejects.toThrow(/permission denied/);
    // A row cannot move to another caller, which would make the counts drift.
    await expect(
      db.query(`UPDATE ${LOG} SET caller_id = $1 WHERE caller_id = $2`, [alice, bob]),
    ).rejects.toThrow(/keeps its template and caller/);
  });

  it('holds for the one-round-trip reads of history pages (runAs), which leave no trace', async () => {
    const [mine = [], whoAmI = []] = await db.runAs(REQUEST_ROLE, alice, [
      SELECT_ALL_SQL,
      sql`SELECT current_user AS role`,
    ]);
    expect(callers(mine)).toEqual([alice, alice, alice]);
    expect(whoAmI[0]?.role).toBe(REQUEST_ROLE);
    // A failing statement aborts the message's implicit transaction: the next statements on
    // the same connections run as the login role again, with no viewer.
    await expect(db.runAs(REQUEST_ROLE, alice, [sql`SELECT 1 / 0`])).rejects.toThrow(/division/);
    for (let i = 0; i < 12; i++) {
      const [after] = await db.query<{ role: string; viewer: string | null }>(
        "SELECT current_user AS role, nullif(current_setting('app.user_id', true), '') AS viewer",
      );
      expect(after).toEqual({ role: expect.not.stringMatching(/^promptmeter_/), viewer: null });
    }
    // The role and the viewer are checked before they are written into the statement.
    await expect(
      db.runAs(REQUEST_ROLE, `${alice}', true); SELECT ('`, [SELECT_ALL_SQL]),
    ).rejects.toThrow(/refusing/);
    await expect(
      db.runAs('postgres' as typeof REQUEST_ROLE, null, [SELECT_ALL_SQL]),
    ).rejects.toThrow(/refusing/);
  });

  it('takes the role and viewer the same way in a Prisma transaction (asRole), checked', async () => {
    const [, [taken]] = await db.prisma.$transaction([
      asRole(db.prisma, REQUEST_ROLE, alice),
      db.prisma.$queryRaw<{ role: string; viewer: string }[]>`
        SELECT current_user AS role, app_user_id()::text AS viewer`,
    ]);
    expect(taken).toEqual({ role: REQUEST_ROLE, viewer: alice });
    expect(() => asRole(db.prisma, REQUEST_ROLE, `${alice}'`)).toThrow(/refusing/);
    expect(() => asRole(db.prisma, 'postgres' as typeof REQUEST_ROLE)).toThrow(/refusing/);
  });

  it('re-running the migrations changes nothing', async () => {
    expect(await migrate(db)).toEqual([]);
  });
});
