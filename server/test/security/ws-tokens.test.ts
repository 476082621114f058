// Issue 12, "A WebSocket outlives its token" and "WebSocket limits differ from HTTP": before,
// 8 s after `exp` a socket still received events and ran operations as the user; a 30 MB message
// was parsed and executed; 2,000 subscriptions on one socket; 200 sockets for one user.
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_REQUEST_BODY_BYTES } from '../../src/http/plugins/request-body-limit.ts';
import { createTemplate, EXECUTION_LOGGED, execute } from '../support/operations.ts';
import { collect } from '../support/subscription-results.ts';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.ts';

const key = new TextEncoder().encode(TEST_JWT_SECRET);

/** A token of `name`'s demo user that expires in `seconds`. */
const shortLived = (app: TestApp, name: string, seconds: number) =>
  new SignJWT({ name })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(app.userId(name))
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(key);

const closeCode = (client: ReturnType<TestApp['ws']>) =>
  new Promise<{ code: number; at: number }>((resolve) =>
    client.on('closed', (event) => resolve({ code: (event as CloseEvent).code, at: Date.now() })),
  );

/** A raw graphql-transport-ws socket, acknowledged. */
async function rawSocket(app: TestApp, token: string) {
  const socket = new WebSocket(`${app.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: any[] = [];
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(
    JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
  );
  while (!messages.some((message) => message.type === 'connection_ack')) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { socket, messages, closed };
}

describe('a WebSocket honours its token for its lifetime', () => {
  let app: TestApp;
  let owner: string;
  let templateId: string;
  beforeAll(async () => {
    app = await startTestApp({
      socketLimits: { maxSubscriptionsPerSocket: 3, maxSocketsPerUser: 2 },
    });
    owner = await app.token('ws-owner');
    templateId = await createTemplate(app, owner);
  });
  afterAll(() => app?.close());

  it('closes the socket with 4403 at the token exp, ending its subscriptions', async () => {
    // Long enough for a first-time user to subscribe and see a run on a loaded machine.
    const token = await shortLived(app, 'ws-short', 5);
    const exp = (decodeJwt(token).exp as number) * 1000;
    const caller = app.ws(token);
    const closed = closeCode(caller);
    const since = app.subscriptionsStarted();
    const live = collect(caller, EXECUTION_LOGGED, { templateId });
    await app.waitForSubscribers(1, since);
    // While the token is valid, its runs arrive.
    await execute(app, token, templateId);
    await live.waitFor(1);
    expect(live.results.length).toBeGreaterThan(0);
    const { code, at } = await closed;
    expect(code).toBe(4403);
    // At exp, by the socket's timer: no operation comes on this socket after the run, so a check
    // made only at the next operation would never close it. The bound leaves room for a loaded
    // machine (1.3 s seen with the suites side by side; the socket's lifetime is hours).
    expect(at).toBeGreaterThanOrEqual(exp - 50);
    expect(at - exp).toBeLessThan(5000);
    // Nothing reaches it any more: a run after exp is not delivered on that socket.
    const delivered = live.results.length;
    await execute(app, owner, templateId);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(live.results.length).toBe(delivered);
  });

  it("ends a subscription made with an operation's own token at that token's exp", async () => {
    const token = await shortLived(app, 'ws-operation', 2);
    const client = app.ws(null);
    const results: any[] = [];
    const ended = new Promise<unknown>((resolve) => {
      client.subscribe(
        {
          query: EXECUTION_LOGGED,
          variables: { templateId },
          extensions: { headers: { Authorization: `Bearer ${token}` } },
        },
        {
          next: (result) => results.push(result),
          error: resolve,
          complete: () => resolve('complete'),
        },
      );
    });
    await ended;
    expect(results.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(results.at(-1)?.errors?.[0]?.message).toMatch(/expired/);
  });

  it('closes every socket with 4000 at its maximum lifetime', async () => {
    const short = await startTestApp({
      database: app.database,
      modelServer: app.modelServer,
      socketLimits: { maxLifetimeMs: 1000 },
    });
    try {
      const client = short.ws(owner);
      const closed = closeCode(client);
      const opened = Date.now();
      const live = collect(client, EXECUTION_LOGGED, { templateId });
      const { code, at } = await closed;
      expect(code).toBe(4000);
      expect(at - opened).toBeGreaterThanOrEqual(900);
      expect(at - opened).toBeLessThan(3000);
      await live.waitFor(1, 1000);
      expect(live.error || live.completed).toBeTruthy();
    } finally {
      await short.close();
    }
  });

  it('refuses a message over the HTTP body limit (close 1009) and answers one under it', async () => {
    const { socket, messages, closed } = await rawSocket(app, owner);
    const padded = (bytes: number) =>
      JSON.stringify({
        id: String(bytes),
        type: 'subscribe',
        payload: { query: '{ __typename }', variables: { pad: 'x'.repeat(bytes) } },
      });
    socket.send(padded(MAX_REQUEST_BODY_BYTES - 1000));
    while (!messages.some((message) => message.type === 'next')) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(messages.find((message) => message.type === 'next').payload.data).toEqual({
      __typename: 'Query',
    });
    socket.send(padded(MAX_REQUEST_BODY_BYTES + 1));
    expect(await closed).toBe(1009);
  });

  it('caps operations per socket (TOO_MANY_SUBSCRIPTIONS) and frees a slot when one completes', async () => {
    const client = app.ws(owner);
    const since = app.subscriptionsStarted();
    const live = [1, 2, 3].map(() => collect(client, EXECUTION_LOGGED, { templateId }));
    await app.waitForSubscribers(3, since);
    const fourth = collect(client, EXECUTION_LOGGED, { templateId });
    await fourth.waitFor(1);
    expect((fourth.error as any[])?.[0]?.extensions?.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    live[0]?.unsubscribe();
    const since2 = app.subscriptionsStarted();
    const fifth = collect(client, EXECUTION_LOGGED, { templateId });
    await app.waitForSubscribers(1, since2);
    expect(fifth.error).toBeNull();
    for (const subscription of [...live, fifth]) subscription.unsubscribe();
  });

  it("caps one user's sockets (close 1008); anonymous sockets and other users are not counted", async () => {
    const user = await app.token('ws-many-sockets');
    const [first, second, third] = [app.ws(user), app.ws(user), app.ws(user)];
    const thirdClosed = closeCode(third);
    const since = app.subscriptionsStarted();
    const held = [first, second].map((client) => collect(client, EXECUTION_LOGGED, { templateId }));
    await app.waitForSubscribers(2, since);
    const refused = collect(third, EXECUTION_LOGGED, { templateId });
    expect((await thirdClosed).code).toBe(1008);
    await refused.waitFor(1);
    // Someone else, and anonymous sockets, still connect.
    const other = collect(app.ws(await app.token('ws-someone-else')), '{ viewer { id } }', {});
    const anonymous = collect(app.ws(null), '{ viewer { id } }', {});
    await other.waitFor(1);
    await anonymous.waitFor(1);
    expect(other.results[0]?.data?.viewer).toBeTruthy();
    expect(anonymous.results[0]?.data).toEqual({ viewer: null });
    // A closed socket frees its place.
    held[0]?.unsubscribe();
    await first?.dispose();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = collect(app.ws(user), '{ viewer { id } }', {});
    await again.waitFor(1);
    expect(again.results[0]?.data?.viewer).toBeTruthy();
    held[1]?.unsubscribe();
  });
});
