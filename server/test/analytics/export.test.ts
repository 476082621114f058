import { encodeGlobalID } from '@pothos/plugin-relay';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { exportRuns } from '../../src/executions/run-export.ts';
import { insertTemplate, insertUsers, LOG, uuidFrom } from '../support/analytics-data.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Issue 14, Export: what the filter selects, as CSV (RFC 4180, formulas neutralised) and NDJSON,
// authorised exactly like the API, through a link that carries no long-lived secret.

const CREATE_EXPORT = /* GraphQL */ `
  mutation Export($templateId: ID!, $format: ExportFormat!, $filter: ExecutionLogFilter) {
    createExecutionExport(templateId: $templateId, format: $format, filter: $filter) { url path expiresAt }
  }
`;

const RUN_LOG = /* GraphQL */ `
  query RunLog($id: ID!, $filter: ExecutionLogFilter, $after: String) {
    template(id: $id) {
      executions(first: 3, filter: $filter, after: $after) {
        totalCount
        edges { node { id status caller { name } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

// Cells a spreadsheet would run, and cells a naive writer would break.
const HOSTILE = [
  `=cmd|' /C calc'!A0`,
  '+SUM(A1:A9)',
  '-2+3',
  '@IMPORTXML("x")',
  '\tTabbed',
  '\rReturn',
  'quote " inside, and a comma',
  'two\nlines\r\nand CRLF',
  'plain é ✓ 漢字',
];

const templateId = uuidFrom(1, 'ffff');
const templateGid = encodeGlobalID('Template', templateId);

describe('export of a run log', () => {
  let app: TestApp;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    app = await startTestApp();
    for (const name of ['owner', 'caller', 'stranger']) {
      ids[name] = app.userId(name);
      tokens[name] = await app.token(name);
    }
    await insertUsers(
      app.db,
      Object.entries(ids).map(([name, id]) => ({ id, name })),
    );
    await insertTemplate(app.db, templateId, ids.owner as string);
    // 30 runs a minute apart: the caller's failed ones carry hostile errors; every third is paid.
    for (let n = 0; n < 30; n++) {
      const caller = n % 2 === 0 ? ids.caller : ids.owner;
      const at = new Date(Date.UTC(2026, 5, 1, 12, n)).toISOString();
      const failed = n % 3 === 1;
      const paid = n % 3 === 0;
      await app.db.query(
        `INSERT INTO ${LOG} (id, template_id, caller_id, payer_address, status, error_message, amount_paid, payment_signature, payment_transaction, network, created_at, completed_at, execution_time_ms, input_tokens)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1200, 10)`,
        [
          uuidFrom(n + 1, 'f00d'),
          templateId,
          caller,
          paid ? `0x${'Ab'.repeat(20)}` : null,
          failed ? 'failed' : 'success',
          failed ? (HOSTILE[n % HOSTILE.length] as string) : null,
          paid ? '0.250001' : '0',
          paid ? '0xsig' : null,
          paid ? '0xtx' : null,
          paid ? 'eip155:84532' : null,
          at,
        ],
      );
    }
  });
  afterAll(() => app?.close());

  async function link(token: string | undefined, variables: Record<string, unknown>) {
    const result = await app.gql(
      CREATE_EXPORT,
      { templateId: templateGid, ...variables },
      { token },
    );
    return result;
  }
  async function download(variables: Record<string, unknown>, token = tokens.owner) {
    const result = await link(token, variables);
    expect(result.errors).toBeUndefined();
    // yoga.fetch answers as http://localhost: the path is what a client behind any origin uses.
    const response = await fetch(`${app.url}${result.data?.createExecutionExport.path}`);
    return { response, text: await response.text() };
  }
  const rawIds = async (where: string) =>
    (
      await app.db.query<{ id: string }>(
        `SELECT id FROM ${LOG} WHERE template_id = '${templateId}' ${where} ORDER BY created_at DESC, id DESC`,
      )
    ).map((row) => row.id);

  it('writes CSV a standard parser reads back, hostile cells neutralised and intact', async () => {
    const { response, text } = await download({ format: 'CSV' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename=/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const records: Record<string, string>[] = parse(text, { columns: true, relax_quotes: false });
    expect(records.map((r) => r.id)).toEqual(await rawIds(''));
    const stored = await app.db.query<{ id: string; error_message: string | null }>(
      `SELECT id, error_message FROM ${LOG} WHERE template_id = '${templateId}'`,
    );
    const errors = new Map(stored.map((row) => [row.id, row.error_message]));
    let hostile = 0;
    for (const record of records) {
      const original = errors.get(record.id as string) ?? '';
      // A spreadsheet shows a leading apostrophe as "this is text": the only change made.
      const expected = /^[=+\-@\t\r]/.test(original) ? `'${original}` : original;
      expect(record.errorMessage).toBe(expected);
      if (original) hostile++;
      // No cell starts a formula.
      for (const cell of Object.values(record)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    expect(hostile).toBe(10);
    expect(records.find((r) => r.amountPaid !== '0')?.amountPaid).toBe('0.250001');
    expect(text.split('\r\n')[0]).toBe(
      'id,createdAt,completedAt,status,callerId,payerAddress,amountPaid,network,paymentTransaction,inputTokens,outputTokens,executionTimeMs,errorMessage',
    );
  });

  it('writes NDJSON of exactly what the filter selects, like the run log and its totalCount', async () => {
    const filter = {
      status: 'SUCCESS',
      paid: true,
      from: '2026-06-01T12:05:00Z',
      to: '2026-06-01T12:25:00Z',
      payerAddress: `0x${'aB'.repeat(20)}`,
    };
    const { response, text } = await download({ format: 'NDJSON', filter });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    const want = await rawIds(
      `AND status = 'success' AND amount_paid > 0 AND created_at >= '2026-06-01T12:05:00Z' AND created_at < '2026-06-01T12:25:00Z'`,
    );
    expect(want.length).toBeGreaterThan(2);
    expect(lines.map((line) => line.id)).toEqual(want);
    expect(lines[0]).toMatchObject({ status: 'success', amountPaid: '0.250001', inputTokens: 10 });

    // The same filter on the run log: keyset pages of 3 and an exact totalCount.
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await app.gql(
        RUN_LOG,
        { id: templateGid, filter, after },
        { token: tokens.owner },
      );
      expect(page.errors).toBeUndefined();
      const executions = page.data.template.executions;
      expect(executions.totalCount).toBe(want.length);
      seen.push(...executions.edges.map((edge: any) => edge.node.id));
      if (!executions.pageInfo.hasNextPage) break;
      after = executions.pageInfo.endCursor;
    }
    expect(seen.map((id) => Buffer.from(id, 'base64').toString().split(':')[1])).toEqual(want);
  });

  it('gives a caller only their own runs, a stranger none, and an anonymous request no link', async () => {
    const caller = await download({ format: 'NDJSON' }, tokens.caller);
    const callerIds = caller.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).id);
    expect(callerIds).toEqual(await rawIds(`AND caller_id = '${ids.caller}'`));
    const callerLog: any = await app.gql(RUN_LOG, { id: templateGid }, { token: tokens.caller });
    expect(callerLog.data.template.executions.totalCount).toBe(callerIds.length);

    const stranger = await download({ format: 'CSV' }, tokens.stranger);
    expect(stranger.response.status).toBe(200);
    expect(parse(stranger.text, { columns: true })).toEqual([]);

    const anonymous = await link(undefined, { format: 'CSV' });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const unknown = await link(tokens.owner, {
      templateId: encodeGlobalID('Template', uuidFrom(99, 'ffff')),
      format: 'CSV',
    });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses forged, expired and misused links, and API tokens in their place', async () => {
    const exportUrl = (token: string) => `${app.url}/export/executions?token=${token}`;
    const { data } = await link(tokens.owner, { format: 'CSV' });
    const token = new URL(data?.createExecutionExport.url).searchParams.get('token') as string;
    expect(Date.parse(data?.createExecutionExport.expiresAt) - Date.now()).toBeLessThanOrEqual(
      60_000,
    );

    const tampered = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const expired = await app.services.authenticator.mintLink(
      'export',
      { sub: ids.owner, template: templateId, format: 'csv', filter: {} },
      -10,
    );
    for (const bad of [tampered, expired, tokens.owner as string, '', 'x'.repeat(5000)]) {
      const response = await fetch(exportUrl(bad));
      expect(response.status).toBe(401);
      expect(await response.text()).toMatch(/Export link refused/);
    }
    // An export link is not an API token.
    const asBearer = await app.gql(RUN_LOG, { id: templateGid }, { token });
    expect(asBearer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // Writes are not downloads.
    expect((await fetch(exportUrl(token), { method: 'POST' })).status).toBe(405);
  });

  it('ends and resumes pages inside runs of the same millisecond: every row once, newest first', async () => {
    // Pages of 2 and 3 through 11 runs, 6 of them in one millisecond (the keyset's tie on id).
    const tied = uuidFrom(2, 'ffff');
    await insertTemplate(app.db, tied, ids.owner as string);
    for (let n = 0; n < 11; n++) {
      const at = n < 6 ? '2026-06-02T00:00:00.123Z' : `2026-06-0${n - 3}T00:00:00.000Z`;
      await app.db.query(
        `INSERT INTO ${LOG} (id, template_id, caller_id, status, created_at, completed_at) VALUES ($1, $2, $3, 'success', $4, $4)`,
        [uuidFrom(n + 1, 'beef'), tied, ids.caller, at],
      );
    }
    const expected = (
      await app.db.query<{ id: string }>(
        `SELECT id FROM ${LOG} WHERE template_id = $1 ORDER BY created_at DESC, id DESC`,
        [tied],
      )
    ).map((row) => row.id);
    for (const pageSize of [2, 3, 11, 20]) {
      let text = '';
      const written = await exportRuns(
        app.db,
        ids.owner as string,
        { templateId: tied, callerId: null },
        'ndjson',
        {
          closed: false,
          write: async (chunk) => {
            text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
          },
        },
        pageSize,
      );
      const exported = text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).id);
      expect({ pageSize, written, exported }).toEqual({
        pageSize,
        written: 11,
        exported: expected,
      });
    }
  });

  it('ends with the error of a page read ahead that fails while a slow client reads, and the process lives', async () => {
    // The database stops after the first page: the second, read while the first is still being
    // written, fails first. Unhandled until the loop reaches it, that rejection used to end the
    // server (seen in the fault suite's export-outage test).
    const stopped = Object.assign(
      new Error('terminating connection due to administrator command'),
      {
        code: '57P01',
      },
    );
    let copies = 0;
    let secondFailed: () => void = () => {};
    const secondFailure = new Promise<void>((resolve) => (secondFailed = resolve));
    const stopsAfterOnePage: Pick<Database, 'copyOutAs'> = {
      copyOutAs: async (...args) => {
        copies += 1;
        if (copies === 1) return app.db.copyOutAs(...args);
        setImmediate(secondFailed);
        throw stopped;
      },
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let lines = 0;
      const exporting = exportRuns(
        stopsAfterOnePage,
        ids.owner as string,
        { templateId, callerId: null },
        'ndjson',
        {
          closed: false,
          // A slow client: the first page's bytes wait until the page read ahead has failed,
          // and a turn of the event loop has passed (when Node reports unhandled rejections).
          write: async (chunk) => {
            await secondFailure;
            await new Promise((resolve) => setTimeout(resolve, 20));
            lines += Buffer.from(chunk).toString('utf8').split('\n').length - 1;
          },
        },
        2,
      );
      await expect(exporting).rejects.toBe(stopped);
      expect({ copies, lines, unhandled }).toEqual({ copies: 2, lines: 2, unhandled: [] });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('refuses a malformed filter with BAD_USER_INPUT', async () => {
    const bad = await link(tokens.owner, { format: 'CSV', filter: { payerAddress: 'nope' } });
    expect(bad.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'payerAddress' });
  });
});
