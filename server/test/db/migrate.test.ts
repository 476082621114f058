import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { migrate, readMigrations } from '../../src/db/migrate.ts';
import {
  adminUrl,
  createTestDatabase,
  databaseUrl,
  stack,
  type TestDatabase,
} from '../support/databases.ts';

describe('the migrator', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.close());

  it('records each migration once, in order, and applies nothing twice', async () => {
    const files = await readMigrations();
    const recorded = await db.query<{ name: string }>(
      'SELECT name FROM promptmeter_migrations ORDER BY name',
    );
    expect(recorded.map((row) => row.name)).toEqual(files.map((file) => file.name));
    expect(await migrate(db)).toEqual([]);
  });

  it('applies a new migration, atomically, and only once', async () => {
    const files = await readMigrations();
    const extra = {
      name: '999_test_extra',
      sql: 'CREATE TABLE test_extra (id int);',
      checksum: 'a',
    };
    expect(await migrate(db, [...files, extra])).toEqual(['999_test_extra']);
    expect(await migrate(db, [...files, extra])).toEqual([]);
    expect(await db.query(`SELECT to_regclass('test_extra') IS NOT NULL AS present`)).toEqual([
      { present: true },
    ]);

    const broken = {
      name: '998_broken',
      sql: 'CREATE TABLE half (id int); SELECT 1/0;',
      checksum: 'b',
    };
    await expect(migrate(db, [...files, broken])).rejects.toThrow(/division by zero/);
    expect(await db.query(`SELECT to_regclass('half') IS NULL AS absent`)).toEqual([
      { absent: true },
    ]);
    expect(
      await db.query(`SELECT name FROM promptmeter_migrations WHERE name = '998_broken'`),
    ).toEqual([]);
  });

  it('refuses to run when a landed migration was edited', async () => {
    const [first, ...rest] = await readMigrations();
    if (!first) throw new Error('no migrations');
    const edited = { ...first, checksum: 'edited' };
    await expect(migrate(db, [edited, ...rest])).rejects.toThrow(/001_init was edited/);
  });
});

// Two instances started together on an empty database (a deploy, the fault suite) both migrate.
describe.skipIf(!stack.postgres)('the migrator, two instances at once on an empty database', () => {
  it('migrates once, and both start', async () => {
    const url = process.env.TEST_DATABASE_URL as string;
    const name = `pm_t_fresh_${Date.now()}`;
    const admin = new pg.Client({ connectionString: adminUrl(url) });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const instances = await Promise.all(
      [1, 2].map(() => openDatabase({ databaseUrl: databaseUrl(url, name), poolSize: 2 })),
    );
    try {
      const applied = await Promise.all(instances.map((instance) => migrate(instance)));
      const files = (await readMigrations()).map((file) => file.name);
      expect(applied.flat().sort()).toEqual(files);
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
