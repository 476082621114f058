// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the PGlite in DATA_DIR.
import { openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { readEnv } from '../src/env.ts';

const env = readEnv();
const db = await openDatabase(
  env.databaseUrl ? { databaseUrl: env.databaseUrl } : { dataDir: `${env.dataDir}/pglite` },
);
try {
  const applied = await migrate(db);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
} finally {
  await db.close();
}
