import { decodePaymentSignatureHeader } from '@x402/core/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { REQUEST_ROLE } from '../../src/db/roles.ts';
import { decimal, integer, literal, sql, text, timestamp } from '../../src/db/sql.ts';
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

describe('SQL literals (the simple protocol has no parameters)', () => {
  it('refuses numbers that are not non-negative integers, and malformed decimals', () => {
    for (const bad of [1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => integer(bad)).toThrow(/not a non-negative integer/);
      expect(() => literal(bad)).toThrow(/not a non-negative integer/);
    }
    for (const bad of ['', '.5', '1.', '-1', '1e-6', '0x10', ' 1', '1 ', "0'; SELECT 1; --"]) {
      expect(() => decimal(bad)).toThrow(/not a decimal/);
    }
    expect(() => literal(new Date(Number.NaN))).toThrow(/not a timestamp/);
    expect(literal(null)).toBe('NULL');
    expect(decimal('0.250000')).toBe("'0.250000'::numeric");
  });

  it('are what the sql tag writes for its values; fragments are spliced as they are', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const id = '00000000-0000-4000-8000-000000000001';
    const where = sql`id = ${sql.uuid(id)}`;
    expect(
      sql`SELECT ${HOSTILE}, ${7}, ${null}, ${at}, ${sql.decimal('0.25')} WHERE ${where}`.text,
    ).toBe(
      `SELECT ${literal(HOSTILE)}, 7, NULL, ${timestamp(at)}, '0.25'::numeric WHERE id = '${id}'`,
    );
    expect(sql.join([sql.identifier('a'), sql.identifier('b_2')], sql`, `).text).toBe('a, b_2');
    expect(() => sql`LIMIT ${-1}`).toThrow(/not a non-negative integer/);
    expect(() => sql.uuid(`${id}'`)).toThrow(/not a UUID/);
    for (const bad of ['A', 'a b', 'a;', '"a"', '1a', '']) {
      expect(() => sql.identifier(bad)).toThrow(/not a plain identifier/);
    }
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
      for (const setting of ['on', 'off']) {
        const [row] = await app.db.transaction(async (tx) => {
          // A separate message: a simple query is lexed whole before any of it runs.
          await tx.exec(`SET LOCAL standard_conforming_strings = ${setting}`);
          return tx.query(`SELECT ${literal(HOSTILE)} AS text, ${text('\\')} AS backslash`);
        });
        expect(row).toEqual({ text: STORED, backslash: '\\' });
      }
      const [[read] = []] = await app.db.runAs(REQUEST_ROLE, null, [
        sql`SELECT ${HOSTILE} AS text`,
      ]);
      expect(read).toEqual({ text: STORED });
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
