import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { readEnv } from '../../src/env.ts';
import { createTemplate } from '../support/operations.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { rowCounts } from './support.ts';

// Issue 12: "development behaviour fails open" and "production leaves things on".
const STRONG_SECRET = 'k3J9-vQ2_pL8mZ4xW7rT1yB6nC5sD0aF';
const PRODUCTION = { NODE_ENV: 'production', X402_ALLOW_SIMULATED: 'true' };

/** An address of this machine that is not loopback: requests to it come from it, too. */
const EXTERNAL = Object.values(os.networkInterfaces())
  .flat()
  .find((info) => info && !info.internal && info.family === 'IPv4')?.address;

describe('production configuration', () => {
  it.each([
    ['a secret of one repeated character', 'a'.repeat(32)],
    ['a repeated short pattern', 'abc1'.repeat(10)],
  ])('refuses to start with %s as JWT_SECRET', (_case, secret) => {
    expect(() => readEnv({ ...PRODUCTION, JWT_SECRET: secret })).toThrow(
      /JWT_SECRET looks guessable/,
    );
  });

  it('refuses real settlement (X402_FACILITATOR_URL) with the offline model', () => {
    expect(() =>
      readEnv({
        NODE_ENV: 'production',
        JWT_SECRET: STRONG_SECRET,
        X402_FACILITATOR_URL: 'https://facilitator.example',
      }),
    ).toThrow(/ANTHROPIC_API_KEY must be set/);
  });

  it('turns introspection, GraphiQL and suggestions off unless configured on', () => {
    const env = readEnv({ ...PRODUCTION, JWT_SECRET: STRONG_SECRET });
    expect(env).toMatchObject({ introspection: false, graphiql: false, suggestions: false });
    expect(
      readEnv({
        ...PRODUCTION,
        JWT_SECRET: STRONG_SECRET,
        GRAPHQL_INTROSPECTION: 'true',
        GRAPHIQL: 'true',
        GRAPHQL_SUGGESTIONS: 'true',
      }),
    ).toMatchObject({ introspection: true, graphiql: true, suggestions: true });
    expect(readEnv({})).toMatchObject({ introspection: true, graphiql: true, suggestions: true });
  });

  it('reads CORS_ORIGINS, the model allow-list and the rate limits', () => {
    const env = readEnv({
      CORS_ORIGINS: 'https://app.example, https://docs.example',
      ANTHROPIC_MODELS: 'claude-a,claude-b',
      ANTHROPIC_MAX_TOKENS: '2048',
      RATE_LIMIT_RUNS_PER_USER_PER_MINUTE: '0',
    });
    expect(env.corsOrigins).toEqual(['https://app.example', 'https://docs.example']);
    expect(env.templatePolicy).toEqual({ models: ['claude-a', 'claude-b'], maxTokens: 2048 });
    expect(env.rateLimits.runsPerUser).toBe(0);
    expect(() => readEnv({ CORS_ORIGINS: 'https://app.example/path' })).toThrow(/CORS_ORIGINS/);
    expect(() => readEnv({ RATE_LIMIT_RUNS_PER_IP_PER_MINUTE: '-1' })).toThrow(
      /RATE_LIMIT_RUNS_PER_IP/,
    );
  });
});

describe('a production app', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      policy: { introspection: false, graphiql: false, suggestions: false, production: true },
    });
  });
  afterAll(() => app?.close());

  it('answers no introspection and no "Did you mean"', async () => {
    const introspection = await app.gql('{ __schema { types { name } } }');
    expect(introspection.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const typo = await app.gql('{ templatez { totalCount } }');
    expect(typo.errors?.[0]?.message).toBe('Cannot query field "templatez" on type "Query".');
    const enumTypo = await app.gql('query($f: Int) { templates(first: $f) { totalCount } }', {
      f: 'twenty',
    });
    expect(JSON.stringify(enumTypo.errors)).not.toMatch(/Did you mean/);
  });

  it('serves no GraphiQL, and sends HSTS', async () => {
    const page = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('renderYogaGraphiQL');
    expect(page.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });
});

describe('a development app', () => {
  let app: TestApp;
  let external: Server | null = null;
  let externalUrl = '';
  const savedNodeEnv = process.env.NODE_ENV;
  beforeAll(async () => {
    // Yoga unmasks errors when NODE_ENV=development, unless told not to.
    process.env.NODE_ENV = 'development';
    app = await startTestApp({
      policy: { devConveniences: true, corsOrigins: ['https://app.example'] },
      services: {
        payments: {
          description: 'broken',
          simulated: true,
          asset: () => null,
          quote: () => {
            throw new Error('connect ECONNREFUSED /srv/secret/path.sock');
          },
          authorize: async () => {
            throw new Error('unused');
          },
        },
      },
    });
    if (EXTERNAL) {
      // The same app, also listening on a non-loopback address of this machine.
      const listener = app.app.server.listeners('request')[0] as Parameters<typeof createServer>[1];
      external = createServer(listener);
      await new Promise<void>((resolve) => external?.listen(0, EXTERNAL, resolve));
      externalUrl = `http://${EXTERNAL}:${(external.address() as AddressInfo).port}`;
    }
  });
  afterAll(async () => {
    process.env.NODE_ENV = savedNodeEnv;
    external?.closeAllConnections();
    external?.close();
    await app?.close();
  });

  const devToken = (url: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ name: 'alice' }),
    });

  it('mints dev tokens for loopback clients only', async () => {
    const local = app.url.replace('127.0.0.1', 'localhost');
    expect((await devToken(local)).status).toBe(200);
  });

  it.skipIf(!EXTERNAL)(
    'mints no token, and embeds none in GraphiQL, for another address',
    async () => {
      expect((await devToken(externalUrl)).status).toBe(404);
      const page = await (
        await fetch(`${externalUrl}/graphql`, { headers: { accept: 'text/html' } })
      ).text();
      expect(page).toContain('graphiql-config');
      expect(page).not.toMatch(/Bearer /);
      // From loopback the page is signed in (the development convenience).
      const localPage = await (
        await fetch(`${app.url.replace('127.0.0.1', 'localhost')}/graphql`, {
          headers: { accept: 'text/html' },
        })
      ).text();
      expect(localPage).toMatch(/Bearer /);
    },
  );

  it('mints nothing for a page that reached loopback through a rebound DNS name', async () => {
    // fetch() will not send another Host: node:http does.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        `${app.url}/dev/token`,
        {
          method: 'POST',
          headers: { host: 'attacker.example', 'content-type': 'application/json' },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify({ name: 'alice' }));
    });
    expect(status).toBe(404);
  });

  it('masks unexpected errors even with NODE_ENV=development', async () => {
    const id = await createTemplate(app, await app.token('masked'));
    const result = await app.gql(
      `query($id: ID!) { templatePaymentRequirements(templateId: $id) { paymentRequired } }`,
      { id },
    );
    expect(result.errors?.[0]).toMatchObject({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(JSON.stringify(result)).not.toMatch(/ECONNREFUSED|secret|stack/);
  });

  it('sends security headers on the UI, GraphiQL and the API', async () => {
    for (const path of ['/', '/templates/x', '/graphql']) {
      const response = await fetch(`${app.url}${path}`, { headers: { accept: 'text/html' } });
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
  });

  it('answers CORS to allowed origins only, without credentials', async () => {
    const ask = (origin: string) =>
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ templates { totalCount } }' }),
      });
    const allowed = await ask('https://app.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const other = await ask('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('applies the allow-list to the WebSocket Origin of browsers', async () => {
    const open = (origin?: string) =>
      new Promise<number | 'open'>((resolve) => {
        const socket = new WebSocket(
          `${app.url.replace('http', 'ws')}/graphql`,
          'graphql-transport-ws',
          {
            ...(origin ? { origin } : {}),
          },
        );
        socket.on('open', () => {
          socket.close();
          resolve('open');
        });
        socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.on('error', () => {});
      });
    expect(await open('https://evil.example')).toBe(401);
    expect(await open('https://app.example')).toBe('open');
    expect(await open(app.url)).toBe('open'); // the site itself
    expect(await open()).toBe('open'); // not a browser
  });

  it.each([
    [
      'application/x-www-form-urlencoded',
      `query=${encodeURIComponent('mutation { createTemplate(input: {name: "csrf", prompt: "x"}) { template { id } } }')}`,
    ],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"mutation { createTemplate(input: {name: \\"csrf\\", prompt: \\"x\\"}) { template { id } } }"}\r\n--x--\r\n',
    ],
    [
      'text/plain',
      JSON.stringify({
        query:
          'mutation { createTemplate(input: {name: "csrf", prompt: "x"}) { template { id } } }',
      }),
    ],
  ])('refuses %s POST bodies before any resolver (CSRF)', async (type, body) => {
    const token = await app.token('csrf-victim');
    const before = await rowCounts(app);
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': type, authorization: `Bearer ${token}` },
      body,
    });
    expect(response.status).toBe(415);
    expect((await response.json()).errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(await rowCounts(app)).toEqual(before);
  });
});
