import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { devToken, runTemplate, templateIdByName } from './support/api.ts';
import {
  DESKTOP,
  documentIsMarked,
  launchBrowser,
  markDocument,
  newContext,
  PHONE,
  watchErrors,
} from './support/browser.ts';
import { SLOW_PATTERN } from './support/global-setup.ts';
import { signInThroughUi } from './support/ui.ts';

// Issue 14, Tests: an owner's dashboard changes when another user's run finishes, without reload;
// screenshots of the dashboard on desktop and phone.

const baseURL = inject('baseURL');
const SCREENSHOTS = 'docs/screenshots';

let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/**
 * Asserts the page does not scroll sideways (the document is no wider than the viewport) and
 * names any element reaching past the viewport's right edge outside a table's own scroll box.
 */
async function expectNoHorizontalScroll(page: Page) {
  const { scrollWidth, innerWidth, overflowing } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    overflowing: [...document.querySelectorAll('body *')]
      .filter((element) => !element.closest('.table-scroll, .visually-hidden'))
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
      .map((element) => `${element.tagName}.${element.className}`),
  }));
  expect(innerWidth).toBe(PHONE.width);
  expect(overflowing).toEqual([]);
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

describe("an owner's analytics dashboard", () => {
  it("counts another user's run live, as it starts and when it finishes", async () => {
    const owner = 'demo-owner';
    const callerToken = await devToken(baseURL, 'frank');
    const templateId = await templateIdByName(baseURL, callerToken, 'Explain like I am five');
    for (const topic of ['tides', 'volcanoes', 'rainbows']) {
      await runTemplate(baseURL, callerToken, templateId, topic);
    }

    const context = await newContext(browser, baseURL);
    const page = await context.newPage();
    watchErrors(page, pageErrors);
    await signInThroughUi(page, owner);
    await page.goto(`/templates/${encodeURIComponent(templateId)}/analytics`);
    const runs = page.getByTestId('headline-Runs').locator('.headline__value');
    await runs.waitFor();
    const before = Number((await runs.textContent())?.replace(/\D/g, ''));
    expect(before).toBeGreaterThanOrEqual(3);
    const total = page.getByTestId('run-log-total');
    await total.waitFor();
    await markDocument(page);

    const running = runTemplate(baseURL, callerToken, templateId, `stars ${SLOW_PATTERN}`);
    // Counted when it starts (the offline model answers slow patterns after 3 s)...
    await page.waitForFunction(
      ([selector, count]) =>
        Number(document.querySelector(selector as string)?.textContent?.replace(/\D/g, '')) ===
        count,
      ['[data-testid="headline-Runs"] .headline__value', before + 1],
      { timeout: 2500 },
    );
    await page.locator('.run-log tr[data-status="RUNNING"]').first().waitFor({ timeout: 2500 });
    const detail = page.getByTestId('headline-Runs').locator('.headline__detail');
    expect(await detail.textContent()).toMatch(/ 1 running$/);
    // ...and shown finished within a second or so of finishing: the numbers, and the run log.
    await running;
    await page
      .getByTestId('headline-Runs')
      .getByText(/ 0 running$/)
      .waitFor({ timeout: 2500 });
    await page
      .locator('.run-log tr[data-status="RUNNING"]')
      .first()
      .waitFor({ state: 'detached', timeout: 2500 });
    expect(await documentIsMarked(page)).toBe(true);
    // The finished row's time comes with the refetch after the event: wait for it, for the shot.
    await page
      .locator('.run-log tbody tr')
      .first()
      .getByText(/\d ms$/)
      .waitFor({ timeout: 2500 });

    await page.setViewportSize(DESKTOP);
    await page.screenshot({ path: `${SCREENSHOTS}/analytics-desktop.png`, fullPage: true });
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SCREENSHOTS}/analytics-phone.png`, fullPage: true });
    // At 390 px nothing scrolls sideways: not the header, not the page (wide tables scroll in
    // their own box)...
    await expectNoHorizontalScroll(page);

    await page.setViewportSize(DESKTOP);
    await page.goto('/');
    const yourTemplates = page.getByRole('region', { name: 'Your templates' });
    await yourTemplates.waitFor();
    // Every row's numbers, not only the first's, before the pictures.
    await yourTemplates.getByText('Loading…').first().waitFor({ state: 'detached' });
    await page
      .getByRole('img', { name: /Runs per day over the last 7 days/ })
      .first()
      .waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/your-templates-desktop.png` });
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SCREENSHOTS}/your-templates-phone.png`, fullPage: true });
    // ...and not "Your templates" either.
    await expectNoHorizontalScroll(page);
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it('keeps the charting library out of every other page', async () => {
    const context = await newContext(browser, baseURL);
    const page = await context.newPage();
    const scripts: string[] = [];
    page.on('response', (response) => {
      if (response.url().endsWith('.js')) scripts.push(response.url());
    });
    const token = await devToken(baseURL, 'frank');
    const templateId = await templateIdByName(baseURL, token, 'Explain like I am five');
    await page.goto(`/templates/${encodeURIComponent(templateId)}`);
    await page.getByRole('heading', { name: 'Explain like I am five' }).waitFor();
    expect(scripts.some((url) => /AnalyticsPage/.test(url))).toBe(false);
    await context.close();
  });
});
