import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { devToken, runTemplate, templateIdByName } from './support/api.ts';
import { launchBrowser, newContext, watchErrors } from './support/browser.ts';
import { SLOW_PATTERN } from './support/global-setup.ts';
import { executionRows, signInThroughUi, waitForCount } from './support/ui.ts';

const baseURL = inject('baseURL');

let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('a run seen from another tab while it runs', () => {
  it('appears RUNNING with its elapsed time, then changes in place to its final state', async () => {
    const name = 'erin';
    const token = await devToken(baseURL, name);
    const templateId = await templateIdByName(baseURL, token, 'Explain like I am five');
    await runTemplate(baseURL, token, templateId, 'tides');

    const context = await newContext(browser, baseURL);
    const watching = await context.newPage();
    watchErrors(watching, pageErrors);
    await signInThroughUi(watching, name);
    await watching.goto(`/templates/${encodeURIComponent(templateId)}`);
    const rows = executionRows(watching);
    await waitForCount(rows, 1, 5000);

    // Another tab (here: the API, as that tab's Run button calls it) starts a slow run.
    const running = runTemplate(baseURL, token, templateId, `owls ${SLOW_PATTERN}`);
    const newest = rows.first();
    await newest.and(watching.locator('[data-status="RUNNING"]')).waitFor({ timeout: 2500 });
    expect(await newest.textContent()).toMatch(/Running · \d+ s/);
    expect(await rows.count()).toBe(2);

    await running;
    await newest.and(watching.locator('[data-status="SUCCESS"]')).waitFor({ timeout: 5000 });
    expect(await rows.count()).toBe(2);
    expect(await newest.textContent()).not.toMatch(/Running/);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
