import { decodePaymentSignatureHeader } from '@x402/core/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { REQUEST_ROLE } from '../../src/db/roles.ts';
import { sql } from '../../src/db/sql.ts';
import { EXECUTION_COLUMNS } from '../../src/executions/execution-rows.ts';
import { dbId, newAccount, type PaidApp, startPaidApp } from '../support/evm/paid-app.ts';
import { createStockClient, signPayment } from '../support/evm/stock-client.ts';
import { createTemplate, execute } from '../support/operations.ts';

const LOG = 'x402_prompt_template_usage_logs';

// Text that would break SQL built by hand: quotes, backslashes, dollar quoting, the separator
// runAs joins statements with, a second statement, a comment, and a NUL.
const HOSTILE = `it's "quoted" \\ back\\slash \\' $$ dollar $$ $tag$ x';\nDROP TABLE users; -- \0end é ✓`;
const STORED = HOSTILE.replaceAll('\0', '');

const RUN_READ = /* GraphQL */ `
  query($templateId: ID!, $id: ID!) {
    myExecutions(templateId: $templateId, first: 100) {
      edges { node { id status errorMessage payerAddress paymentSignature network amountPaid } }
    }
    node(id: $id) { ... on Execution { errorMessage payerAddress paymentSignature } }
  }
`;

describe('the sql tag: values travel as parameters', () => {
  it('refuses values of the wrong kind: non-integers, bad decimals, UUIDs, identifiers', () => {
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => sql`LIMIT ${bad}`).toThrow(/not an integer/);
    }
    for (const bad of ['', '.5', '1.', '-1', '1e-6', '0x10', ' 1', '1 ', "0'; SELECT 1; --"]) {
      expect(() => sql.decimal(bad)).toThrow(/not a decimal/);
    }
    expect(() => sql`${new Date(Number.NaN)}`).toThrow(/not a timestamp/);
    expect(() => sql.uuid("00000000-0000-4000-8000-000000000001'")).toThrow(/not a UUID/);
    for (const bad of ['A', 'a b', 'a;', '"a"', '1a', '']) {
      expect(() => sql.identifier(bad)).toThrow(/not a plain identifier/);
    }
  });

  it('writes $1…$n (typed where the context would not) and keeps every value out of the text', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const id = '00000000-0000-4000-8000-000000000001';
    const where = sql`id = ${sql.uuid(id)} AND note = ${HOSTILE}`;
    const statement = sql`SELECT ${HOSTILE}, ${7}, ${2 ** 40}, ${null}, ${at}, ${sql.decimal('0.25')} FROM ${sql.identifier('t')} WHERE ${where} AND n = ${-1}`;
    expect(statement.text).toBe(
      'SELECT $1, $2::int, $3::bigint, $4, $5::timestamptz, $6::numeric FROM t WHERE id = $7::uuid AND note = $8 AND n = $9::int',
    );
    expect(statement.values).toEqual([
      STORED,
      '7',
      String(2 ** 40),
      null,
      at.toISOString(),
      '0.25',
      id,
      STORED,
      '-1',
    ]);
    const joined = sql.join(
      [sql`a = ${'x'}`, sql`b = ${'y'}`, sql.identifier('c')],
      sql` OR ${'z'} OR `,
    );
    expect([joined.text, joined.values]).toEqual([
      'a = $1 OR $2 OR b = $3 OR $4 OR c',
      ['x', 'z', 'y', 'z'],
    ]);
    expect(sql.join([], sql`, `).text).toBe('');
  });

  it('reach runAs only through the tag: a plain string does not type-check', () => {
    const readRaw = (db: Database) =>
      // @ts-expect-error a string is not SqlText
      db.runAs(REQUEST_ROLE, null, ['SELECT 1']);
    expect(readRaw).toBeTypeOf('function');
  });

  describe('on the database', () => {
    let app: PaidApp;
    beforeAll(async () => {
      app = await startPaidApp();
    });
    afterAll(() => app?.close());

    it('describes every column of the execution log, once', async () => {
      const columns = await app.db.query<{ name: string }>(
        'SELECT column_name AS name FROM information_schema.columns WHERE table_name = $1',
        [LOG],
      );
      expect(Object.values(EXECUTION_COLUMNS).sort()).toEqual(
        columns.map(({ name }) => name).sort(),
      );
    });

    it('reads back exactly what was written, minus NUL, whatever standard_conforming_strings is', async () => {
      const hostile = [
        HOSTILE,
        '$1',
        '$1::text',
        "'; DROP TABLE users; --",
        '\\',
        'ünïcödé 🙂 \u202e',
        '',
      ];
      for (const setting of ['on', 'off']) {
        const [, read = []] = await app.db.runAs(REQUEST_ROLE, null, [
          sql`SELECT set_config('standard_conforming_strings', ${setting}, true)`,
          sql`SELECT ${sql.join(
            hostile.map((value, i) => sql`${value} AS ${sql.identifier(`v${i}`)}`),
            sql`, `,
          )}`,
        ]);
        expect(Object.values(read[0] ?? {})).toEqual(hostile.map((v) => v.replaceAll('\0', '')));
      }
      const [users] = await app.db.query("SELECT to_regclass('users') IS NOT NULL AS kept");
      expect(users).toEqual({ kept: true });
    });

    it('logs a model error with that text as exactly one FAILED row, readable through GraphQL', async () => {
      const [owner, caller] = await Promise.all([app.token('lena'), app.token('lars')]);
      const templateId = await createTemplate(app, owner);
      app.modelServer.enqueue({ kind: 'error', status: 500, message: HOSTILE });
      const run = await execute(app, caller, templateId);
      const execution = run.data?.executeTemplate.execution;
      expect(execution.status).toBe('FAILED');
      expect(execution.errorMessage).toMatch(/^Anthropic API error 500 api_error: /);
      expect(execution.errorMessage).toContain(STORED);
      expect(execution.errorMessage).not.toContain('\0');

      const rows = await app.db.query(
        `SELECT status, error_message FROM ${LOG} WHERE template_id = $1`,
        [dbId(templateId)],
      );
      expect(rows).toEqual([{ status: 'failed', error_message: execution.errorMessage }]);
      const read = await app.gql(RUN_READ, { templateId, id: execution.id }, { token: caller });
      expect(read.data?.myExecutions.edges.map((edge: any) => edge.node.errorMessage)).toEqual([
        execution.errorMessage,
      ]);
      expect(read.data?.node.errorMessage).toBe(execution.errorMessage);
      const [users] = await app.db.query("SELECT to_regclass('users') IS NOT NULL AS kept");
      expect(users).toEqual({ kept: true });
    });

    it('records a paid run’s payment signature and payer address exactly as paid', async () => {
      const owner = await app.token('pia');
      const caller = await app.token('per');
      const templateId = await createTemplate(app, owner, {
        priceUsdc: '0.25',
        payTo: newAccount().address,
      });
      const payer = newAccount();
      const { header } = await signPayment(createStockClient(payer), await app.quote(templateId));
      const { signature } = decodePaymentSignatureHeader(header).payload as { signature: string };
      app.modelServer.enqueue({ kind: 'text', text: 'paid' });

      const run = await app.runPaid(templateId, header, caller);
      const paid = {
        payerAddress: payer.address,
        paymentSignature: signature,
        network: 'eip155:84532',
        amountPaid: '0.25',
      };
      expect(run.data?.executeTemplate.execution).toMatchObject({ status: 'SUCCESS', ...paid });
      const id = run.data?.executeTemplate.execution.id;
      const read = await app.gql(RUN_READ, { templateId, id }, { token: caller });
      expect(read.data?.myExecutions.edges).toEqual([
        { node: { id, status: 'SUCCESS', errorMessage: null, ...paid } },
      ]);
      expect(read.data?.node).toEqual({
        errorMessage: null,
        payerAddress: payer.address,
        paymentSignature: signature,
      });
    });
  });
});
