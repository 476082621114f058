import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RETRY_AFTER_SECONDS } from '../../src/lib/api-errors.ts';
import { stack } from '../support/databases.ts';
import { newAccount, type PaidApp, startPaidApp } from '../support/evm/paid-app.ts';
import { createStockClient, signPayment } from '../support/evm/stock-client.ts';
import { createTemplate, EXECUTE } from '../support/operations.ts';
import { type PrivateDatabase, startPrivateDatabase } from '../support/private-database.ts';
import { collect } from '../support/subscription-results.ts';

const TEMPLATES = /* GraphQL */ `
  query Templates { templates(first: 5) { totalCount edges { node { id name } } } }
`;

// Issue 10, "Honest errors for infrastructure faults": with the database down, requests are
// refused as SERVICE_UNAVAILABLE (HTTP 503 + Retry-After), nothing is written, and once the
// database is back the same app serves them. The app runs on a PostgreSQL cluster of the test's
// own, whatever the mode, so the suite runs in the default mode only (not twice in CI).
describe.skipIf(stack.postgres)('the database stops, then comes back', () => {
  let privateDb: PrivateDatabase;
  let app: PaidApp;
  let owner: string;
  let caller: string;
  let templateId: string;
  let paymentHeader: string;
  const payer = newAccount();
  const logged = { warnings: [] as string[], errors: [] as string[] };

  beforeAll(async () => {
    privateDb = await startPrivateDatabase();
    app = await startPaidApp({ database: privateDb.database });
    [owner, caller] = await Promise.all([app.token('oona'), app.token('cai')]);
    templateId = await createTemplate(app, owner, {
      priceUsdc: '0.5',
      payTo: newAccount().address,
    });
    // The caller has been seen (her user row exists); the newcomers below have not.
    expect((await app.gql(TEMPLATES, {}, { token: caller })).errors).toBeUndefined();
    const quote = await app.quote(templateId);
    paymentHeader = (await signPayment(createStockClient(payer), quote)).header;
    vi.spyOn(console, 'warn').mockImplementation((...args) => {
      logged.warnings.push(args.map(String).join(' '));
    });
    vi.spyOn(console, 'error').mockImplementation((...args) => {
      logged.errors.push(
        args.map((arg) => (arg instanceof Error ? arg.stack : String(arg))).join(' '),
      );
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await app?.close();
    await privateDb?.remove();
  });

  const requests = async () => ({
    query: await app.gql(TEMPLATES, {}, { token: owner, network: true }),
    ownRun: await app.gql(
      EXECUTE,
      { input: { templateId, variables: { topic: 'rain' } } },
      { token: owner, network: true },
    ),
    paidRun: await app.runPaid(templateId, paymentHeader, caller),
    firstTimeUser: await app.gql(TEMPLATES, {}, { token: await app.token('nell'), network: true }),
  });

  it('refuses requests with SERVICE_UNAVAILABLE, HTTP 503 and Retry-After, logging one line each', async () => {
    await privateDb.cluster.stop();
    for (const [what, response] of Object.entries(await requests())) {
      expect(response.status, what).toBe(503);
      expect(response.headers.get('retry-after'), what).toBe(String(RETRY_AFTER_SECONDS));
      expect(response.data ?? null, what).toBeNull();
      const [error] = response.errors ?? [];
      expect(error?.extensions?.code, what).toBe('SERVICE_UNAVAILABLE');
      expect(error?.message, what).not.toBe('Unexpected error.');
      expect(error?.extensions, what).not.toHaveProperty('http'); // Yoga keeps it off the body
    }

    // Over graphql-ws: a signed-in socket's operation fails with the same code…
    const operation = collect(app.ws(caller), TEMPLATES, {});
    const [result] = await operation.waitFor(1);
    expect(result?.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    // …and a first-time user's connection_init (which upserts the user) closes the socket with
    // 1013 Try Again Later, not 4500 with an internal message.
    const newcomer = collect(app.ws(await app.token('nico')), TEMPLATES, {});
    await newcomer.waitFor(1);
    expect(newcomer.results).toEqual([]);
    expect(newcomer.error).toMatchObject({
      code: 1013,
      reason: expect.stringMatching(/try again/i),
    });

    // …and so does an operation whose own token (GraphiQL sends one with each) is a newcomer's.
    const headers = { Authorization: `Bearer ${await app.token('noor')}` };
    const refused = await new Promise((resolve) => {
      app
        .ws(null)
        .subscribe(
          { query: TEMPLATES, extensions: { headers } },
          { next: resolve, error: resolve, complete: () => {} },
        );
    });
    expect(refused).toMatchObject([{ extensions: { code: 'SERVICE_UNAVAILABLE' } }]);

    const outageLines = logged.warnings.filter((line) => line.includes('database unavailable'));
    expect(outageLines).toHaveLength(7);
    expect(outageLines[0]).toMatch(
      /SERVICE_UNAVAILABLE: .*(ECONNREFUSED|P1001 Can't reach database server)/,
    );
    expect(logged.errors.filter((line) => /\n\s+at /.test(line))).toEqual([]);
  });

  it('serves the same requests once the database is back; the refused runs wrote nothing', async () => {
    await privateDb.cluster.start();
    // No row and no payment reservation from the refused runs (the paid one's authorization
    // is still good: it pays for the run below).
    expect(await app.rows(templateId)).toBe(0);
    expect(await app.reservations(payer.address)).toEqual([]);

    const responses = await requests();
    for (const [what, response] of Object.entries(responses)) {
      expect(response.status, what).toBe(200);
      expect(response.errors, what).toBeUndefined();
    }
    expect(responses.query.data?.templates.totalCount).toBe(1);
    expect(responses.ownRun.data?.executeTemplate.execution.status).toBe('SUCCESS');
    expect(responses.paidRun.data?.executeTemplate.execution).toMatchObject({
      status: 'SUCCESS',
      amountPaid: '0.5',
    });
    expect(await app.rows(templateId)).toBe(2);
    expect(await app.reservations(payer.address)).toHaveLength(1);

    const operation = collect(app.ws(await app.token('nico')), TEMPLATES, {});
    const [result] = await operation.waitFor(1);
    expect(result).toMatchObject({ data: { templates: { totalCount: 1 } } });
  });
});
