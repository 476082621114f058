import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { devToken, runTemplate, templateIdByName } from './support/api.ts';
import {
  documentIsMarked,
  launchBrowser,
  markDocument,
  newContext,
  watchErrors,
} from './support/browser.ts';
import { signInThroughUi, waitForCount } from './support/ui.ts';

const baseURL = inject('baseURL');
const TEMPLATE = 'Explain like I am five';

let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/**
 * The page's GraphQL WebSockets, passed through to the server until `cut()`: then every open one
 * is closed and new ones are refused until `restore()` (graphql-ws keeps retrying meanwhile).
 */
async function cuttableSockets(page: Page) {
  const open = new Set<WebSocketRoute>();
  let refused = false;
  let connections = 0;
  await page.routeWebSocket(/\/graphql$/, (socket) => {
    if (refused) return socket.close({ code: 4499, reason: 'cut by the test' });
    const server = socket.connectToServer();
    connections += 1;
    open.add(socket);
    socket.onClose(() => {
      open.delete(socket);
      void server.close();
    });
  });
  return {
    cut: async () => {
      refused = true;
      await Promise.all([...open].map((socket) => socket.close({ code: 4499, reason: 'cut' })));
    },
    restore: () => {
      refused = false;
    },
    connections: () => connections,
  };
}

/** Each run's topic has its own number of words, so each row its own "N in" token count. */
const topic = (words: number) => Array.from({ length: words }, () => 'lamp').join(' ');
const tokenCounts = (rows: string[]) => rows.map((text) => /(\d+) in/.exec(text)?.[1]);

describe('live history across a cut socket', () => {
  it('resumes after the socket is restored: every run once, without re-reading the history', async () => {
    const name = 'dave';
    const token = await devToken(baseURL, name);
    const templateId = await templateIdByName(baseURL, token, TEMPLATE);
    for (const words of [1, 2]) await runTemplate(baseURL, token, templateId, topic(words));

    const context = await newContext(browser, baseURL);
    const page = await context.newPage();
    watchErrors(page, pageErrors);
    const sockets = await cuttableSockets(page);
    await signInThroughUi(page, name);
    const historyReads: string[] = [];
    page.on('request', (request) => {
      if (request.postData()?.includes('ExecutionHistoryPageQuery'))
        historyReads.push(request.url());
    });
    await page.goto(`/templates/${encodeURIComponent(templateId)}/executions`);
    const list = page.getByRole('list', { name: 'Your executions' }).getByRole('listitem');
    await waitForCount(list, 2, 5000);
    await markDocument(page);

    // Live before the cut.
    await runTemplate(baseURL, token, templateId, topic(3));
    await waitForCount(list, 3, 5000);

    await sockets.cut();
    for (const words of [4, 5, 6]) await runTemplate(baseURL, token, templateId, topic(words));
    // Give a live event every chance to arrive: none can while the socket is cut.
    await page.waitForTimeout(500);
    expect(await list.count()).toBe(3);
    sockets.restore();

    // graphql-ws retries at most 5 s apart; then the stream resumes from the last position.
    await waitForCount(list, 6, 15_000);
    await page.getByText(/^6 runs of/).waitFor();
    const counts = tokenCounts(await list.allTextContents());
    expect(new Set(counts).size).toBe(6);
    expect(counts.every((count) => count !== undefined)).toBe(true);
    expect(sockets.connections()).toBeGreaterThanOrEqual(2);
    expect(historyReads).toHaveLength(1);
    expect(await documentIsMarked(page)).toBe(true);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
