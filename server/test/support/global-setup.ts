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
    /** PostgreSQL: this run's test databases are named with it (`pm_t_<pid>_`). */
    pgDatabasePrefix: string;
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
    project.provide('pgDatabasePrefix', '');
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
  project.provide('pgDatabasePrefix', `pm_t_${process.pid}_`);
  return async () => {
    // This run's databases, and those of runs whose process is gone (killed before teardown);
    // never those of another run going on now.
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'pm\\_t\\_%' OR datname LIKE 'pm\\_test\\_template\\_%'`,
    );
    for (const { datname } of rows) {
      const pid = Number(/^pm_(?:t_(\d+)_|test_template_(\d+)$)/.exec(datname)?.slice(1).join(''));
      if (pid === process.pid || (pid > 0 && !processAlive(pid)))
        await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
    await admin.end();
  };
}

/** Whether a process of this machine with that pid runs. */
function processAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
