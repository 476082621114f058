import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, demoUserId } from '../../src/auth/authenticator.ts';
import { routeRequests } from '../../src/http/routes.ts';

const authenticator = createAuthenticator('a-test-secret-of-at-least-32-characters');
const servers: Server[] = [];

/** The app's routes in front of a small Yoga, on a loopback port; resolves to its URL. */
async function serving(devTokens: boolean) {
  const yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }),
    logging: false,
  });
  const server = createServer(
    routeRequests(yoga, { devTokens: devTokens ? authenticator : undefined }),
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const post = (url: string, body: string) =>
  fetch(`${url}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });

afterAll(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

describe('POST /dev/token in development', () => {
  let url: string;
  beforeAll(async () => {
    url = await serving(true);
  });

  it('mints a token for the demo user of that name', async () => {
    const response = await post(url, JSON.stringify({ name: ' alice ' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = await response.json();
    expect(body).toMatchObject({ userId: demoUserId('alice'), name: 'alice' });
    const viewer = await authenticator.viewerFromAuthorization(`Bearer ${body.token}`);
    expect(viewer?.id).toBe(demoUserId('alice'));
  });

  it('refuses other methods, bad names and bodies that are not JSON', async () => {
    expect((await fetch(`${url}/dev/token`)).status).toBe(405);
    expect((await post(url, JSON.stringify({ name: 'a b' }))).status).toBe(400);
    expect((await post(url, JSON.stringify({ name: 'x'.repeat(101) }))).status).toBe(400);
    expect((await post(url, '{')).status).toBe(400);
  });
});

describe('POST /dev/token in production', () => {
  it('is not there', async () => {
    const url = await serving(false);
    expect((await post(url, JSON.stringify({ name: 'alice' }))).status).toBe(404);
  });
});
