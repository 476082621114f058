// Issue 12, "JWT policy": before, a token without `exp` was valid forever, `iss`/`aud` were not
// checked, `iat` in 2100 was accepted, and NUL in `name` gave HTTP 500 / WS 4500. Also: tokens of
// an identity provider, verified with its JWKS (RS256/ES256), served here from loopback.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt, exportJWK, generateKeyPair, type JWK, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_LIMITS } from '../../src/lib/limits.ts';
import { collect } from '../support/subscription-results.ts';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.ts';

const VIEWER = `query { viewer { id name } }`;
const key = new TextEncoder().encode(TEST_JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);
const SEVEN_DAYS = DEFAULT_TOKEN_LIMITS.maxLifetimeSeconds;

/** An HS256 token with exactly these claims (no defaults added). */
const hs256 = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);

const sub = '6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b';

async function expectRefusedEverywhere(app: TestApp, token: string, reason?: RegExp) {
  const result = await app.gql(VIEWER, {}, { token });
  expect(result.status).toBe(401);
  expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  if (reason) expect(result.errors?.[0]?.message).toMatch(reason);
  const client = app.ws(token);
  const closed = new Promise<number>((resolve) =>
    client.on('closed', (event) => resolve((event as CloseEvent).code)),
  );
  collect(client, VIEWER, {});
  expect(await closed).toBe(4403);
}

describe('JWT policy', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.close());

  it('refuses a token without exp (it was valid forever)', async () => {
    await expectRefusedEverywhere(app, await hs256({ sub, iat: now() }), /exp/);
  });

  it('refuses a token that lives longer than the maximum lifetime', async () => {
    const iat = now();
    await expectRefusedEverywhere(
      app,
      await hs256({ sub, iat, exp: iat + SEVEN_DAYS + 3600 }),
      /lifetime/,
    );
    // Without iat, exp counts from now.
    await expectRefusedEverywhere(app, await hs256({ sub, exp: now() + 30 * 86400 }));
    const longest = await hs256({ sub, iat, exp: iat + SEVEN_DAYS });
    expect((await app.gql(VIEWER, {}, { token: longest })).data?.viewer.id).toBeTruthy();
  });

  it('refuses iat or nbf in the future, beyond a 30 s clock skew', async () => {
    const in2100 = Date.UTC(2100, 0, 1) / 1000;
    await expectRefusedEverywhere(
      app,
      await hs256({ sub, iat: in2100, exp: in2100 + 3600 }),
      /future|lifetime/,
    );
    await expectRefusedEverywhere(app, await hs256({ sub, iat: now() + 120, exp: now() + 3600 }));
    await expectRefusedEverywhere(
      app,
      await hs256({ sub, iat: now(), nbf: now() + 120, exp: now() + 3600 }),
      /nbf/,
    );
    // A clock 10 s ahead of ours is tolerated.
    const skewed = await hs256({ sub, iat: now() + 10, nbf: now() + 10, exp: now() + 3600 });
    expect((await app.gql(VIEWER, {}, { token: skewed })).status).toBe(200);
  });

  it('stores a name with NUL, lone surrogates and control characters as clean, bounded text', async () => {
    const id = '0c6a1b2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
    const token = await hs256({
      sub: id,
      name: `Ada\u0000 \uD800Love\u0007lace${'!'.repeat(300)}`,
      iat: now(),
      exp: now() + 3600,
    });
    const result = await app.gql(VIEWER, {}, { token });
    expect(result.status).toBe(200);
    const name = result.data?.viewer.name as string;
    expect(name.startsWith('Ada Love lace!')).toBe(true);
    expect(Array.from(name)).toHaveLength(100);
    const [row] = await app.db.query<{ name: string }>('SELECT name FROM users WHERE id = $1', [
      id,
    ]);
    expect(row?.name).toBe(name);
    // Over WebSocket too (was close 4500).
    const live = collect(app.ws(token), VIEWER, {});
    await live.waitFor(1);
    expect(live.results[0]?.data?.viewer.name).toBe(name);
  });

  it('mints development tokens with exp, valid for the longest lifetime', async () => {
    const claims = decodeJwt(await app.token('alice'));
    expect((claims.exp as number) - (claims.iat as number)).toBe(SEVEN_DAYS);
  });

  it('npm run token prints a token with exp that the server accepts', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'promptmeter-token-'));
    try {
      const root = new URL('../../../', import.meta.url).pathname;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'server/scripts/token.ts', 'alice'],
        { cwd: root, env: { ...process.env, DATA_DIR: dataDir, JWT_SECRET: '', NODE_ENV: '' } },
      );
      const secret = (await readFile(path.join(dataDir, 'jwt-secret'), 'utf8')).trim();
      const { payload } = await jwtVerify(stdout.trim(), new TextEncoder().encode(secret));
      expect((payload.exp as number) - (payload.iat as number)).toBe(SEVEN_DAYS);
      expect(payload.name).toBe('alice');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('JWT issuer and audience, when configured', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      tokenPolicy: { issuer: 'https://id.example', audience: 'promptmeter' },
    });
  });
  afterAll(() => app?.close());

  const claims = () => ({ sub, iat: now(), exp: now() + 3600 });

  it('refuses a token without them, or with others', async () => {
    await expectRefusedEverywhere(app, await hs256(claims()), /iss/);
    await expectRefusedEverywhere(
      app,
      await hs256({ ...claims(), iss: 'https://evil.example', aud: 'promptmeter' }),
      /iss/,
    );
    await expectRefusedEverywhere(
      app,
      await hs256({ ...claims(), iss: 'https://id.example', aud: 'another-api' }),
      /aud/,
    );
  });

  it('accepts a token with both, and its own minted tokens carry them', async () => {
    const token = await hs256({
      ...claims(),
      iss: 'https://id.example',
      aud: ['x', 'promptmeter'],
    });
    expect((await app.gql(VIEWER, {}, { token })).data?.viewer.id).toBe(
      Buffer.from(`User:${sub}`).toString('base64'),
    );
    const minted = decodeJwt(await app.token('bob'));
    expect(minted).toMatchObject({ iss: 'https://id.example', aud: 'promptmeter' });
    expect((await app.gql(VIEWER, {}, { token: await app.token('bob') })).status).toBe(200);
  });
});

describe('tokens of an identity provider (JWKS)', () => {
  let app: TestApp;
  let jwks: Server;
  let jwksUrl: string;
  let keysServed: JWK[] = [];
  const rsa = generateKeyPair('RS256');
  const ec = generateKeyPair('ES256');
  const stranger = generateKeyPair('RS256');

  beforeAll(async () => {
    keysServed = [
      { ...(await exportJWK((await rsa).publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK((await ec).publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: keysServed }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    app = await startTestApp({
      tokenPolicy: { jwksUrl, issuer: 'https://tenant.idp.example/' },
    });
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  const issued = async (
    alg: 'RS256' | 'ES256',
    privateKey: CryptoKey,
    kid: string,
    subject: string,
    extra: Record<string, unknown> = {},
  ) =>
    new SignJWT({ name: 'From the IdP', ...extra })
      .setProtectedHeader({ alg, kid })
      .setSubject(subject)
      .setIssuer('https://tenant.idp.example/')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);

  it('accepts RS256 and ES256 tokens signed with a published key (Supabase-style UUID sub)', async () => {
    const id = 'a1b2c3d4-e5f6-4789-8abc-def012345678';
    for (const [alg, pair, kid] of [
      ['RS256', await rsa, 'rsa-1'],
      ['ES256', await ec, 'ec-1'],
    ] as const) {
      const token = await issued(alg, pair.privateKey, kid, id);
      const result = await app.gql(VIEWER, {}, { token });
      expect(result.data?.viewer).toEqual({ id: expect.any(String), name: 'From the IdP' });
      expect((await app.db.query('SELECT 1 FROM users WHERE id = $1', [id])).length).toBe(1);
      const live = collect(app.ws(token), VIEWER, {});
      await live.waitFor(1);
      expect(live.results[0]?.data?.viewer.name).toBe('From the IdP');
    }
  });

  it('gives an Auth0-style sub a stable user id of its own', async () => {
    const { privateKey } = await rsa;
    const first = await app.gql(
      VIEWER,
      {},
      { token: await issued('RS256', privateKey, 'rsa-1', 'auth0|65f1c0ffee') },
    );
    const second = await app.gql(
      VIEWER,
      {},
      { token: await issued('RS256', privateKey, 'rsa-1', 'auth0|65f1c0ffee') },
    );
    const other = await app.gql(
      VIEWER,
      {},
      { token: await issued('RS256', privateKey, 'rsa-1', 'auth0|someone-else') },
    );
    expect(first.data?.viewer.id).toBe(second.data?.viewer.id);
    expect(first.data?.viewer.id).not.toBe(other.data?.viewer.id);
  });

  it('refuses a key it does not publish, a wrong issuer, and the JWKS policy still holds', async () => {
    await expectRefusedEverywhere(
      app,
      await issued('RS256', (await stranger).privateKey, 'rsa-1', sub),
    );
    const wrongIssuer = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setSubject(sub)
      .setIssuer('https://elsewhere.example/')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign((await rsa).privateKey);
    await expectRefusedEverywhere(app, wrongIssuer, /iss/);
    const noExp = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setSubject(sub)
      .setIssuer('https://tenant.idp.example/')
      .setIssuedAt()
      .sign((await rsa).privateKey);
    await expectRefusedEverywhere(app, noExp, /exp/);
  });

  it('still accepts its own HS256 tokens', async () => {
    expect((await app.gql(VIEWER, {}, { token: await app.token('carol') })).status).toBe(200);
  });

  it('answers 503, not 401 (a sign-out), while the JWKS cannot be fetched', async () => {
    const down = await startTestApp({
      database: app.database,
      modelServer: app.modelServer,
      // Nothing listens there.
      tokenPolicy: { jwksUrl: 'http://127.0.0.1:9/jwks.json' },
    });
    try {
      const token = await issued('RS256', (await rsa).privateKey, 'rsa-1', sub);
      const result = await down.gql(VIEWER, {}, { token });
      expect(result.status).toBe(503);
      expect(result.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect((await down.gql(VIEWER, {}, { token: await down.token('dave') })).status).toBe(200);
    } finally {
      await down.close();
    }
  });
});
