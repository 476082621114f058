import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { devToken, templateIdByName } from './support/api.ts';
import { launchBrowser, newContext, watchErrors } from './support/browser.ts';
import { SLOW_PATTERN } from './support/global-setup.ts';
import { executionRows, signInThroughUi, waitForCount } from './support/ui.ts';

const baseURL = inject('baseURL');
/** Where to keep a screenshot of the page mid-stream (looked at by eye), if set. */
const SCREENSHOTS = process.env.E2E_SCREENSHOTS;

let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

// Issue 13: the output grows as the model writes it; Stop ends the run; another tab sees the run
// RUNNING, then FAILED "cancelled".
describe('a streamed run', () => {
  it('grows on screen, stops on Stop, and another tab sees it RUNNING then FAILED "cancelled"', async () => {
    const name = 'stella';
    const token = await devToken(baseURL, name);
    const templateId = await templateIdByName(baseURL, token, 'Explain like I am five');
    const templatePath = `/templates/${encodeURIComponent(templateId)}`;

    const context = await newContext(browser, baseURL);
    const running = await context.newPage();
    watchErrors(running, pageErrors);
    await signInThroughUi(running, name);
    const watching = await context.newPage();
    watchErrors(watching, pageErrors);
    await watching.goto(templatePath);
    const rows = executionRows(watching);
    await watching.getByText('No executions yet').waitFor();

    await running.goto(templatePath);
    await running.getByLabel(/^topic/).fill(`whales ${SLOW_PATTERN}`);
    await running.getByRole('button', { name: 'Run' }).click();

    const output = running.getByRole('region', { name: 'Output' });
    const stop = output.getByRole('button', { name: 'Stop' });
    await stop.waitFor();
    expect(await output.textContent()).toMatch(/Running · \d+ s/);
    // The text grows: at least three distinct states while the run is still going.
    const states: string[] = [];
    const deadline = Date.now() + 5000;
    while (states.length < 8 && Date.now() < deadline) {
      const text = (await output.locator('pre').textContent()) ?? '';
      if (text && text !== states.at(-1)) {
        expect(text.startsWith(states.at(-1) ?? '')).toBe(true);
        states.push(text);
      }
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    expect(states.length).toBeGreaterThanOrEqual(3);
    expect(await stop.isVisible()).toBe(true);
    if (SCREENSHOTS) {
      await mkdir(SCREENSHOTS, { recursive: true });
      await running.screenshot({ path: path.join(SCREENSHOTS, 'streamed-run.png') });
    }

    // The other tab shows the run as RUNNING while it streams.
    await waitForCount(rows, 1, 5000);
    const row = rows.first();
    await row.and(watching.locator('[data-status="RUNNING"]')).waitFor({ timeout: 5000 });

    await stop.click();
    await running.getByText('You stopped the run.').waitFor({ timeout: 5000 });
    expect(await running.getByRole('button', { name: 'Stop' }).count()).toBe(0);
    // What was written before Stop stays readable.
    expect(await running.locator('.output__text--partial').textContent()).toContain(
      states[0]?.trim().split(' ')[0] ?? '',
    );

    await row.and(watching.locator('[data-status="FAILED"]')).waitFor({ timeout: 5000 });
    expect(await row.textContent()).toContain('cancelled');
    expect(await rows.count()).toBe(1);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
