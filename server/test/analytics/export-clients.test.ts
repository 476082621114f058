import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bulkRunsSql,
  countLines,
  insertOwnedTemplate,
  uuidFrom,
} from '../support/analytics-data.ts';
import { stack } from '../support/databases.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// README "Export": "no database connection is held between pages, so a slow or vanished client
// pins nothing". A download of three pages whose client stops reading after the first bytes, and
// one whose client goes away: meanwhile the API answers (on PGlite, one connection for the whole
// server, a held connection would make it wait for ever) and no COPY is left on PostgreSQL.

const ROWS = 25_000; // three pages of 10,000
const templateId = uuidFrom(1, 'c11e');
const templateGid = encodeGlobalID('Template', templateId);
const COUNT = `query($id: ID!) { template(id: $id) { executions(first: 1) { totalCount } } }`;

describe('an export whose client is slow or goes away', () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp();
    const owned = await insertOwnedTemplate(app, 'export-owner', templateId);
    token = owned.token;
    const owner = owned.ownerId;
    await app.db.exec(
      bulkRunsSql(templateId, ROWS, {
        caller_id: `'${owner}'`,
        status: `'success'`,
        input_tokens: 'n',
      }),
    );
  }, 120_000);
  afterAll(() => app?.close());

  async function startDownload() {
    const link = await app.gql(
      `mutation($t: ID!) { createExecutionExport(templateId: $t, format: NDJSON) { path } }`,
      { t: templateGid },
      { token },
    );
    const response = await fetch(`${app.url}${link.data?.createExecutionExport.path}`);
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    return { reader, first: first.value as Uint8Array };
  }

  /** COPY statements the database is running or holding in a transaction for the server. */
  async function copiesInProgress() {
    if (!stack.postgres) return 0;
    const [row] = await app.db.query<{ copies: number }>(
      `SELECT count(*)::int AS copies FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND (state = 'idle in transaction' OR (state = 'active' AND query ILIKE 'COPY%'))`,
    );
    return row?.copies ?? 0;
  }

  async function untilNoCopy() {
    for (let tries = 0; (await copiesInProgress()) > 0; tries++) {
      if (tries > 100) throw new Error('a COPY is still held for a client that is not reading');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('holds no connection while its client stops reading, and ends whole once it reads on', async () => {
    const { reader, first } = await startDownload();
    // The client reads nothing more for now: the server waits on it (backpressure).
    const answered = await app.gql(COUNT, { id: templateGid }, { token });
    expect(answered.data?.template.executions.totalCount).toBe(ROWS);
    await untilNoCopy();
    let lines = countLines(first);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      lines += countLines(value);
    }
    expect(lines).toBe(ROWS);
  });

  it('stops when its client goes away, and the server serves on', async () => {
    const { reader } = await startDownload();
    await reader.cancel();
    await untilNoCopy();
    const answered = await app.gql(COUNT, { id: templateGid }, { token });
    expect(answered.data?.template.executions.totalCount).toBe(ROWS);
    // A new download of it all.
    const { reader: again } = await startDownload();
    let tail = '';
    for (;;) {
      const { done, value } = await again.read();
      if (done) break;
      tail = (tail + Buffer.from(value).toString('utf8')).slice(-4000);
    }
    // Newest first: the oldest run (input_tokens 1) ends the file.
    expect(JSON.parse(tail.trimEnd().split('\n').at(-1) as string).inputTokens).toBe(1);
  });
});
