import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';

describe('GraphiQL at GET /graphql', () => {
  let app: TestApp;
  let page: string;
  beforeAll(async () => {
    app = await startTestApp();
    const response = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    page = await response.text();
  });
  afterAll(() => app?.close());

  const assets = () => [...page.matchAll(/\/graphql\/assets\/[\w-]+\.\w+/g)].map(([path]) => path);

  it('is a small page that links its script, style, workers and icon', () => {
    expect(Buffer.byteLength(page)).toBeLessThan(100_000);
    expect(page).toMatch(/<script src="\/graphql\/assets\/graphiql-[\w-]+\.js"><\/script>/);
    expect(page).toMatch(/<link rel="stylesheet" href="\/graphql\/assets\/graphiql-[\w-]+\.css"/);
    expect(assets().filter((path) => path.includes('worker'))).toHaveLength(3);
    expect(page).toContain('Welcome to promptmeter');
    expect(page).toContain('"subscriptionsProtocol":"WS"');
    expect(page).not.toMatch(/unpkg\.com|jsdelivr|cdn\./);
  });

  it('serves each asset with its content type, cached for good', async () => {
    const types = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
    for (const path of assets()) {
      const response = await fetch(`${app.url}${path}`);
      expect(response.status, path).toBe(200);
      const extension = path.split('.').pop() as string;
      expect(response.headers.get('content-type'), path).toBe(
        types[extension as keyof typeof types] ?? 'image/x-icon',
      );
      expect(response.headers.get('cache-control'), path).toBe(IMMUTABLE);
      // The two start-up steps are small files (the CSP allows no inline script).
      expect((await response.arrayBuffer()).byteLength, path).toBeGreaterThan(100);
    }
  });

  it('answers HEAD without a body, and 404 for a name it does not have', async () => {
    const [script] = assets();
    const head = await fetch(`${app.url}${script}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${app.url}/graphql/assets/graphiql-old.js`)).status).toBe(404);
  });
});
