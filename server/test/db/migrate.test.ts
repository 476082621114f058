import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../src/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';

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
