import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeRequests } from '../../src/http/routes.ts';

const INDEX = '<!doctype html><title>app</title><div id="root"></div>';
const SCRIPT = 'console.log("app");';
const SECRET = 'outside the build';

let workDir: string;
const servers: Server[] = [];

/** The app's routes in front of a small Yoga, on a loopback port; resolves to its URL. */
async function serving(distDir: string) {
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: 'type Query { ok: Boolean }',
      resolvers: { Query: { ok: () => true } },
    }),
    logging: false,
    landingPage: false,
  });
  const server = createServer(routeRequests(yoga, { clientDist: distDir }));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'client-assets-'));
  const dist = path.join(workDir, 'dist');
  await mkdir(path.join(dist, 'assets'), { recursive: true });
  await writeFile(path.join(dist, 'index.html'), INDEX);
  await writeFile(path.join(dist, 'assets', 'index-Ab12Cd.js'), SCRIPT);
  await writeFile(path.join(dist, 'assets', 'index-Ef34Gh.css'), 'body{}');
  await writeFile(path.join(dist, 'robots.txt'), 'User-agent: *');
  await writeFile(path.join(workDir, 'secret.txt'), SECRET);
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  await rm(workDir, { recursive: true, force: true });
});

describe('serveClientAssets with a build', () => {
  let url: string;
  beforeAll(async () => {
    url = await serving(path.join(workDir, 'dist'));
  });
  const get = (pathname: string, init: RequestInit = {}) => fetch(`${url}${pathname}`, init);

  it('serves index.html at the root, revalidated on every visit', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toBe(INDEX);
  });

  it('answers client-side routes with index.html', async () => {
    for (const route of [
      '/templates/VGVtcGxhdGU6MQ%3D%3D',
      '/templates/x/executions',
      '/sign-in?next=%2F',
    ]) {
      const response = await get(route);
      expect(response.status, route).toBe(200);
      expect(await response.text(), route).toBe(INDEX);
    }
  });

  it('serves hashed assets with their content type, cached for good', async () => {
    const script = await get('/assets/index-Ab12Cd.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await script.text()).toBe(SCRIPT);

    const style = await get('/assets/index-Ef34Gh.css');
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('serves other files of the build without long caching', async () => {
    const response = await get('/robots.txt');
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers 404, not the app, for a missing asset or file', async () => {
    for (const missing of ['/assets/index-Old.js', '/favicon.ico', '/assets/']) {
      const response = await get(missing);
      expect(response.status, missing).toBe(404);
      expect(await response.text(), missing).not.toContain('<div id="root">');
    }
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await get('/assets/index-Ab12Cd.js', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await response.text()).toBe('');
  });

  it('answers 304 when the browser already has the file', async () => {
    const first = await get('/assets/index-Ab12Cd.js');
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await get('/assets/index-Ab12Cd.js', {
      headers: { 'if-none-match': etag ?? '' },
    });
    expect(again.status).toBe(304);
  });

  it('never serves a file outside the build', async () => {
    for (const attempt of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2Fsecret.txt',
      '/assets/..%2F..%2Fsecret.txt',
      '/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/assets/%5c..%5c..%5csecret.txt',
    ]) {
      const response = await get(attempt);
      expect(await response.text(), attempt).not.toContain(SECRET);
    }
  });

  it('rejects malformed paths', async () => {
    expect((await get('/%E0%A4%A')).status).toBe(400);
    expect((await get('/index.html%00.js')).status).toBe(400);
  });

  it('leaves the API paths and other methods to the API', async () => {
    const graphql = await get('/graphql?query=%7Bok%7D', {
      headers: { accept: 'application/json' },
    });
    expect(await graphql.json()).toEqual({ data: { ok: true } });
    expect((await get('/health')).status).toBe(200);
    expect(await (await get('/dev/token')).text()).not.toBe(INDEX);
    expect(await (await get('/', { method: 'POST' })).text()).not.toBe(INDEX);
  });
});

describe('serveClientAssets without a build', () => {
  it('says the client is not built and how to build it', async () => {
    const url = await serving(path.join(workDir, 'no-such-dist'));
    const response = await fetch(`${url}/templates/1`);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await response.text();
    expect(page).toContain('not built');
    expect(page).toContain('npm run build:client');
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });
});
