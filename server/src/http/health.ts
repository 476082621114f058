import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../db/database.ts';
import { readMigrations } from '../db/migrate.ts';
import type { Services } from '../schema/context.ts';

/** How long a readiness probe waits for each dependency before calling it unavailable. */
export const CHECK_TIMEOUT_MS = 1000;

export const LIVE_PATH = '/health/live';
export const READY_PATH = '/health/ready';

type Checks = Record<'database' | 'migrations' | 'pubsub', string>;

/**
 * GET/HEAD /health/live: 200 while the process serves (no dependency is checked, so a database
 * outage never gets the instance restarted). GET/HEAD /health/ready: 200 when it can take work
 * (database answers, every migration applied, pub/sub answers), else 503 naming what failed;
 * 503 "draining" once a graceful stop began.
 */
export function serveHealth({ db, services }: { db: Database; services: Services }) {
  // The migration files do not change while the process runs.
  let expected: Promise<string[]> | null = null;
  const expectedMigrations = () => {
    expected ??= readMigrations().then((migrations) => migrations.map(({ name }) => name));
    return expected;
  };

  let wasReady = true;
  async function readiness(): Promise<{ status: number; body: object }> {
    if (services.runsInFlight.draining) return { status: 503, body: { status: 'draining' } };
    const [database, pubsub] = await Promise.all([
      outcome(db.query('SELECT 1')),
      outcome(services.events.check()),
    ]);
    const migrations =
      database === 'ok' ? await outcome(missingMigrations()) : 'not checked: no database';
    const checks: Checks = { database, migrations, pubsub };
    const ok = Object.values(checks).every((check) => check === 'ok');
    // Probes come every few seconds: log changes, not every answer.
    if (ok !== wasReady) {
      wasReady = ok;
      if (ok) console.log('[health] ready again');
      else console.warn('[health] not ready:', JSON.stringify(checks));
    }
    return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'unavailable', checks } };
  }

  async function missingMigrations() {
    const rows = await db.query<{ name: string }>('SELECT name FROM promptmeter_migrations');
    const applied = new Set(rows.map((row) => row.name));
    const missing = (await expectedMigrations()).filter((name) => !applied.has(name));
    if (missing.length > 0) throw new Error(`not applied: ${missing.join(', ')}`);
  }

  return async (req: IncomingMessage, res: ServerResponse) => {
    const pathname = (req.url ?? '/').split('?', 1)[0];
    if (pathname !== LIVE_PATH && pathname !== READY_PATH) {
      return send(req, res, 404, { status: 'not found', paths: [LIVE_PATH, READY_PATH] });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(req, res, 405, { status: 'method not allowed' });
    }
    if (pathname === LIVE_PATH) return send(req, res, 200, { status: 'ok' });
    const { status, body } = await readiness();
    send(req, res, status, body);
  };
}

/** 'ok', or why the check failed (a timeout counts as failed). */
async function outcome(check: Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([check, timeout]);
    return 'ok';
  } catch (error) {
    return describe(error).slice(0, 200);
  } finally {
    clearTimeout(timer);
  }
}

/** Connection errors may be AggregateErrors (one per address tried) with an empty message. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error) || 'failed';
  const { code, errors } = error as Error & { code?: string; errors?: unknown[] };
  if (error.message) return error.message;
  if (errors?.[0]) return describe(errors[0]);
  return code ?? error.name;
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: object) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : json);
}
