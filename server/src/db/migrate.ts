import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && /^\d{3}_[a-z0-9_]+$/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Applies the migrations that have not run yet, each in its own transaction, recording them in
 * `promptmeter_migrations`. An advisory lock serialises instances that start at the same time,
 * and a landed migration whose file changed is refused rather than silently skipped.
 */
export async function migrate(db: Database, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  const applied: string[] = [];
  // Under the lock too: two instances starting on a fresh database race on CREATE TABLE IF NOT
  // EXISTS (a duplicate key in pg_type), which is not concurrency-safe in PostgreSQL.
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('promptmeter_migrations'))`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS promptmeter_migrations (
      name TEXT PRIMARY KEY,
      checksum TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
  });
  for (const migration of all) {
    await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('promptmeter_migrations'))`);
      const [done] = await tx.query<{ checksum: string }>(
        'SELECT checksum FROM promptmeter_migrations WHERE name = $1',
        [migration.name],
      );
      if (done) {
        if (done.checksum !== migration.checksum) {
          throw new Error(
            `migration ${migration.name} was edited after it was applied; add a new migration instead`,
          );
        }
        return;
      }
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO promptmeter_migrations (name, checksum) VALUES ($1, $2)', [
        migration.name,
        migration.checksum,
      ]);
      applied.push(migration.name);
    });
  }
  return applied;
}
