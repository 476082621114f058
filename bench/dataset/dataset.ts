import pg from 'pg';
import { migrate, openDatabase } from '../../server/src/testing.ts';
import { databaseUrl, type Mode, PG_ADMIN_URL } from '../harness/config.ts';
import { ACTORS, HOT_TEMPLATE, RUN_TEMPLATE } from './actors.ts';
import { fingerprint, generate } from './generate.ts';

export interface Dataset {
  url: string;
  rows: number;
  hotRows: number;
  deepOffset: number;
  /** The keyset position `deepOffset` rows into the hot pair (newest first). */
  deep: { createdAt: Date; id: string };
  generatedNow: boolean;
  seconds: number;
}

/**
 * The bench database: migrated by the app's own migrator, then filled with set-based SQL. A
 * marker row records what was generated, so an identical dataset is reused across runs.
 */
export async function ensureDataset(mode: Mode): Promise<Dataset> {
  const url = databaseUrl(mode.database);
  const started = performance.now();
  let generatedNow = false;
  if (!(await markerMatches(url, mode))) {
    await recreateDatabase(mode.database);
    const db = await openDatabase({ databaseUrl: url, poolSize: 2 });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    await generate(url, mode);
    generatedNow = true;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Runs of earlier bench runs are removed so every run measures the same pages.
    await client.query('DELETE FROM x402_prompt_template_usage_logs WHERE template_id = $1', [
      RUN_TEMPLATE,
    ]);
    const { rows } = await client.query<{ created_at: Date; id: string }>(
      `SELECT created_at, id FROM x402_prompt_template_usage_logs
       WHERE template_id = $1 AND caller_id = $2
       ORDER BY created_at DESC, id DESC OFFSET $3 LIMIT 1`,
      [HOT_TEMPLATE, ACTORS.hotCaller, mode.deepOffset - 1],
    );
    const deep = rows[0];
    if (!deep) throw new Error('dataset has no deep position');
    return {
      url,
      rows: mode.rows,
      hotRows: mode.rows / 10,
      deepOffset: mode.deepOffset,
      deep: { createdAt: deep.created_at, id: deep.id },
      generatedNow,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await client.end();
  }
}

async function markerMatches(url: string, mode: Mode): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch {
    return false; // no such database yet
  }
  try {
    const { rows } = await client.query('SELECT 1 FROM bench_dataset WHERE fingerprint = $1', [
      await fingerprint(mode),
    ]);
    return rows.length === 1;
  } catch {
    return false;
  } finally {
    await client.end();
  }
}

async function recreateDatabase(name: string) {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
}
