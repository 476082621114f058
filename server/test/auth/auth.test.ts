import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../support/subscription-results.ts';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.ts';

const VIEWER = `query { viewer { id name } }`;
const key = new TextEncoder().encode(TEST_JWT_SECRET);
const sub = '2b7e1516-28ae-4d2a-a6ab-f7158809cf4f';

const signed = (claims: Record<string, unknown>, secret = key, expires = '1h') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(secret);

describe('authentication', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.close());

  it('creates a user on first sight of a valid token, with the name claim', async () => {
    const token = await signed({ sub, name: 'Ada' });
    const before = await app.db.query('SELECT count(*)::int AS n FROM users WHERE id = $1', [sub]);
    expect(before[0]).toEqual({ n: 0 });
    const result = await app.gql(VIEWER, {}, { token });
    expect(result.data?.viewer.name).toBe('Ada');
    const [user] = await app.db.query('SELECT name FROM users WHERE id = $1', [sub]);
    expect(user).toEqual({ name: 'Ada' });
    // A second request reuses the row; a renamed token updates it.
    await app.gql(VIEWER, {}, { token: await signed({ sub, name: 'Ada L.' }) });
    expect(await app.db.query('SELECT name FROM users WHERE id = $1', [sub])).toEqual([
      { name: 'Ada L.' },
    ]);
  });

  it('treats a request without a token as anonymous', async () => {
    const result = await app.gql(VIEWER);
    expect(result.status).toBe(200);
    expect(result.data?.viewer).toBeNull();
  });

  const rejected: Array<[string, () => Promise<string>]> = [
    ['expired', () => signed({ sub }, key, '-1m')],
    ['malformed', async () => 'not.a.jwt'],
    ['signed with another secret', () => signed({ sub }, new TextEncoder().encode('x'.repeat(40)))],
    [
      'alg: none',
      async () => new UnsecuredJWT({ sub }).setIssuedAt().setExpirationTime('1h').encode(),
    ],
    ['without a UUID subject', () => signed({ sub: 'alice' })],
    [
      'HS512 (an algorithm we do not accept)',
      () =>
        new SignJWT({ sub }).setProtectedHeader({ alg: 'HS512' }).setExpirationTime('1h').sign(key),
    ],
  ];

  it.each(rejected)(
    'rejects a token that is %s with UNAUTHENTICATED (HTTP 401)',
    async (_, make) => {
      const result = await app.gql(VIEWER, {}, { token: await make() });
      expect(result.status).toBe(401);
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(result.data ?? null).toBeNull();
    },
  );

  it.each(rejected)('closes a WebSocket whose token is %s with 4403', async (_, make) => {
    const client = app.ws(null, { authorization: `Bearer ${await make()}` });
    const closed = new Promise<number>((resolve) =>
      client.on('closed', (event) => resolve((event as CloseEvent).code)),
    );
    const live = collect(client, `subscription { executionLogged(templateId: "x") { id } }`, {});
    expect(await closed).toBe(4403);
    await live.waitFor(1, 1000);
    expect(live.results).toEqual([]);
  });

  it('accepts the same token over WebSocket in connectionParams', async () => {
    const token = await signed({ sub, name: 'Ada L.' });
    const client = app.ws(token);
    const result = await new Promise<any>((resolve, reject) =>
      client.subscribe({ query: VIEWER }, { next: resolve, error: reject, complete: () => {} }),
    );
    expect(result.data.viewer.name).toBe('Ada L.');
  });

  it('accepts the token capitalised in connectionParams, or per operation as GraphiQL sends it', async () => {
    const token = await signed({ sub, name: 'Ada L.' });
    const viewerOver = (client: ReturnType<TestApp['ws']>, extensions?: Record<string, unknown>) =>
      new Promise<any>((resolve, reject) =>
        client.subscribe(
          { query: VIEWER, extensions },
          { next: resolve, error: reject, complete: () => {} },
        ),
      );
    const capitalised = app.ws(null, { Authorization: `Bearer ${token}` });
    expect((await viewerOver(capitalised)).data.viewer.name).toBe('Ada L.');

    const anonymousSocket = app.ws(null);
    expect((await viewerOver(anonymousSocket)).data.viewer).toBeNull();
    const perOperation = await viewerOver(anonymousSocket, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(perOperation.data.viewer.name).toBe('Ada L.');
    // The operation's token does not stick to the socket.
    expect((await viewerOver(anonymousSocket)).data.viewer).toBeNull();
    const forged = await viewerOver(anonymousSocket, {
      headers: {
        Authorization: `Bearer ${await signed({ sub }, new TextEncoder().encode('y'.repeat(40)))}`,
      },
    }).catch((errors) => ({ errors }));
    expect(forged.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('ignores attempts to set the viewer by other means', async () => {
    const result = await app.gql(
      VIEWER,
      {},
      { headers: { 'x-user-id': sub, cookie: `user=${sub}` } },
    );
    expect(result.data?.viewer).toBeNull();
  });
});
