import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { adminUrl, databaseUrl, stack } from '../support/databases.ts';

// The README's one-time role bootstrap: a database owner who is not a superuser can migrate
// and serve once an admin created the roles and granted them to it.
describe.runIf(stack.postgres)('a non-superuser database owner', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `pm_owner_${suffix}`;
  const database = `pm_t_boot_${suffix}`;
  const url = process.env.TEST_DATABASE_URL as string;

  async function admin(sql: string) {
    const client = new pg.Client({ connectionString: adminUrl(url) });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin(`DROP ROLE IF EXISTS ${owner}`);
  });

  it('migrates after the bootstrap, and serves through RLS', async () => {
    // The bootstrap of the README (the roles already exist in this cluster from other tests).
    await admin(`CREATE ROLE ${owner} LOGIN NOSUPERUSER NOCREATEROLE`);
    await admin(`CREATE DATABASE ${database} OWNER ${owner}`);
    await admin(`GRANT promptmeter_app, promptmeter_backend TO ${owner}`);

    const ownerUrl = new URL(databaseUrl(url, database));
    ownerUrl.username = owner;
    ownerUrl.password = '';
    const db = await openDatabase({ databaseUrl: ownerUrl.toString(), poolSize: 2 });
    try {
      const [who] = await db.query<{ rolsuper: boolean }>(
        'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
      );
      expect(who?.rolsuper).toBe(false);
      expect((await migrate(db)).length).toBeGreaterThan(0);
      expect(await migrate(db)).toEqual([]);
      const rows = await db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('role', 'promptmeter_app', true)`);
        return tx.query(
          'SELECT current_user AS role, count(*)::int AS n FROM x402_prompt_template_usage_logs',
        );
      });
      expect(rows).toEqual([{ role: 'promptmeter_app', n: 0 }]);
    } finally {
      await db.close();
    }
  });
});
