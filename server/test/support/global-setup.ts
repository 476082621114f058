import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { adminUrl, databaseUrl } from './databases.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** PGlite: path of a migrated data-directory dump that each test database loads. */
    pgliteDump: string;
    /** PostgreSQL: name of a migrated template database each test database is cloned from. */
    pgTemplate: string;
  }
}

/**
 * Migrates once per `npm test`: PGlite's cold start costs 7-9 s of CPU, a dump loads in 1-2 s;
 * on PostgreSQL, CREATE DATABASE … TEMPLATE clones a migrated database in milliseconds.
 */
export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    const db = await openDatabase({});
    await migrate(db);
    const dump = path.join(os.tmpdir(), `promptmeter-test-${process.pid}.tar`);
    const snapshot = await db.dumpDataDir?.();
    if (!snapshot) throw new Error('PGlite can dump its data directory');
    await writeFile(dump, Buffer.from(await snapshot.arrayBuffer()));
    await db.close();
    project.provide('pgliteDump', dump);
    project.provide('pgTemplate', '');
    return;
  }
  const template = `pm_test_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl(url) });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  const db = await openDatabase({ databaseUrl: databaseUrl(url, template), poolSize: 1 });
  await migrate(db);
  await db.close();
  project.provide('pgliteDump', '');
  project.provide('pgTemplate', template);
  return async () => {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'pm\\_t\\_%' OR datname = $1`,
      [template],
    );
    for (const { datname } of rows)
      await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await admin.end();
  };
}
