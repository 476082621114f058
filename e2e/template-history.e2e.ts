import { mkdir } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
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
import {
  executionRows,
  executionsPanel,
  finishedOutput,
  signInThroughUi,
  waitForCount,
} from './support/ui.ts';

const baseURL = inject('baseURL');
const failPattern = inject('failPattern');
const TEMPLATE = 'Explain like I am five';
const EMPTY = 'No executions yet. Run this template to see your history.';
const LIVE_WITHIN_MS = 1000;
const SCREENSHOTS = 'docs/screenshots';

const RED = 'rgb(220, 38, 38)';
const GREEN = 'rgb(22, 163, 74)';

let browser: Browser;
let alice: BrowserContext;
let tabA: Page;
let templatePath: string;
const pageErrors: string[] = [];

const panel = executionsPanel;
const rows = executionRows;
const toggle = (page: Page) => page.getByRole('button', { name: /Your Executions/ });

async function open(context: BrowserContext, path: string): Promise<Page> {
  const page = await context.newPage();
  watchErrors(page, pageErrors);
  await page.goto(path);
  return page;
}

/** Runs the template from the page's form and waits for its outcome (output or failure). */
async function runFromForm(page: Page, topic: string) {
  await page.getByLabel('topic').fill(topic);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await finishedOutput(page)
    .or(page.getByRole('alert').filter({ hasText: 'The run failed.' }))
    .waitFor();
}

const dotColor = (row: Locator) =>
  row.locator('.status-dot').evaluate((dot) => getComputedStyle(dot).backgroundColor);

beforeAll(async () => {
  browser = await launchBrowser();
  alice = await newContext(browser, baseURL);
});

afterAll(async () => {
  await browser?.close();
});

describe('the template page, live', () => {
  it('signs in as a demo user and shows the empty state of a template never run', async () => {
    tabA = await open(alice, '/');
    await signInThroughUi(tabA, 'alice');
    await tabA.getByRole('link', { name: TEMPLATE }).click();
    await tabA.getByRole('heading', { name: TEMPLATE, level: 1 }).waitFor();
    templatePath = new URL(tabA.url()).pathname;

    await panel(tabA).getByText(EMPTY, { exact: true }).waitFor();
    expect(await toggle(tabA).getAttribute('aria-expanded')).toBe('true');
  });

  it('validates required variables before running', async () => {
    await tabA.getByRole('button', { name: 'Run', exact: true }).click();
    await tabA.getByText('Enter a value for topic.').waitFor();
    expect(await tabA.getByLabel('topic').getAttribute('aria-invalid')).toBe('true');
    expect(await rows(tabA).count()).toBe(0);
  });

  it('runs the template: the output shows and the row appears within 1 s, without a reload', async () => {
    await markDocument(tabA);
    await runFromForm(tabA, 'rainbows');
    // The offline model answers with the prompt's size, never its text (the prompt is the owner's).
    expect(await finishedOutput(tabA).textContent()).toMatch(
      /offline model.*Your prompt had \d+ words/,
    );

    await waitForCount(rows(tabA), 1, LIVE_WITHIN_MS);
    const row = rows(tabA).first();
    expect(await row.getAttribute('data-status')).toBe('SUCCESS');
    expect(await dotColor(row)).toBe(GREEN);
    expect(await row.textContent()).toMatch(/just now/);
    expect(await row.textContent()).toMatch(/\d+ in · \d+ out/);
    expect(await row.locator('time').getAttribute('title')).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    expect(await toggle(tabA).textContent()).toContain('1');
    expect(await documentIsMarked(tabA)).toBe(true);
  });

  it('does not show the run to another user, live or on load', async () => {
    const bob = await newContext(browser, baseURL);
    const bobPage = await open(bob, '/');
    await signInThroughUi(bobPage, 'bob');
    await bobPage.goto(templatePath);
    await panel(bobPage).getByText(EMPTY, { exact: true }).waitFor();

    await runFromForm(tabA, 'volcanoes');
    await waitForCount(rows(tabA), 2, LIVE_WITHIN_MS);
    // Give a misrouted event every chance to arrive.
    await bobPage.waitForTimeout(1500);
    expect(await rows(bobPage).count()).toBe(0);
    expect(await panel(bobPage).getByText(EMPTY, { exact: true }).isVisible()).toBe(true);
    await bob.close();
  });

  it('shows a run in another tab of the same user live', async () => {
    const tabB = await open(alice, templatePath);
    await waitForCount(rows(tabB), 2, 5000);
    await markDocument(tabB);

    await runFromForm(tabA, 'the moon');
    await waitForCount(rows(tabB), 3, LIVE_WITHIN_MS);
    expect(await toggle(tabB).textContent()).toContain('3');
    expect(await documentIsMarked(tabB)).toBe(true);
    await tabB.close();
  });

  it('shows a run that fails on the model with a red dot and its error', async () => {
    await runFromForm(tabA, `why ${failPattern}`);
    const failure = tabA.getByRole('alert').filter({ hasText: 'The run failed.' });
    expect(await failure.textContent()).toMatch(/overloaded/i);

    await waitForCount(rows(tabA), 4, LIVE_WITHIN_MS);
    const row = rows(tabA).first();
    expect(await row.getAttribute('data-status')).toBe('FAILED');
    expect(await dotColor(row)).toBe(RED);
    expect(await row.locator('.execution-row__error').textContent()).toMatch(/529|overloaded/i);
  });

  it('opens and closes "Your Executions" from the keyboard', async () => {
    const button = toggle(tabA);
    await button.focus();
    await tabA.keyboard.press('Enter');
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    expect(await rows(tabA).first().isVisible()).toBe(false);
    await tabA.keyboard.press('Space');
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    expect(await rows(tabA).first().isVisible()).toBe(true);
  });

  it('writes screenshots of the template page at desktop and phone width', async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    await runFromForm(tabA, 'why the sky is blue');
    await waitForCount(rows(tabA), 5, LIVE_WITHIN_MS);
    await tabA.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await tabA.setViewportSize(DESKTOP);
    await tabA.mouse.move(0, 0);
    await tabA.screenshot({ path: `${SCREENSHOTS}/template-detail-desktop.png`, fullPage: true });

    await tabA.setViewportSize(PHONE);
    const overflow = await tabA.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await tabA.screenshot({ path: `${SCREENSHOTS}/template-detail-phone.png`, fullPage: true });
    await tabA.setViewportSize(DESKTOP);
  });

  it('publishes a template, whose page starts with the empty state', async () => {
    await tabA.goto('/');
    const publish = tabA.getByRole('button', { name: 'Publish a template' });
    await publish.click();
    expect(await publish.getAttribute('aria-expanded')).toBe('true');
    await tabA.getByLabel('Name', { exact: true }).fill('Haiku maker');
    await tabA.getByLabel('Prompt', { exact: true }).fill('Write a haiku about {{subject}}.');
    await tabA.getByLabel('Description of subject').fill('What the haiku is about');
    await tabA.getByRole('button', { name: 'Publish', exact: true }).click();

    await tabA.getByRole('heading', { name: 'Haiku maker', level: 1 }).waitFor();
    await panel(tabA).getByText(EMPTY, { exact: true }).waitFor();
    expect(await tabA.getByLabel(/^subject/).getAttribute('required')).not.toBeNull();
    expect(await tabA.getByText('You own this template').isVisible()).toBe(true);
  });
});

describe('the full history ("View all")', () => {
  it('pages through 30 runs with "Load more", and stays live', async () => {
    const name = 'carol';
    const token = await devToken(baseURL, name);
    const templateId = await templateIdByName(baseURL, token, TEMPLATE);
    for (let i = 1; i <= 30; i++) {
      await runTemplate(
        baseURL,
        token,
        templateId,
        i % 10 === 0 ? `${failPattern} ${i}` : `topic ${i}`,
      );
    }

    const context = await newContext(browser, baseURL);
    const page = await open(context, '/');
    await signInThroughUi(page, name);
    await page.goto(templatePath);
    await waitForCount(rows(page), 5, 5000);
    const viewAll = page.getByRole('link', { name: 'View all 30 executions' });
    await viewAll.click();

    await page.getByRole('heading', { name: 'Your executions', level: 1 }).waitFor();
    const list = page.getByRole('list', { name: 'Your executions' }).getByRole('listitem');
    await waitForCount(list, 20, 5000);
    await markDocument(page);
    await page.getByRole('button', { name: 'Load more' }).click();
    await waitForCount(list, 30, 5000);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    expect(await page.getByText(/^30 runs of/).count()).toBe(1);
    // Failed runs show their error message here too.
    expect(
      await page.locator('.execution-row[data-status="FAILED"] .execution-row__error').count(),
    ).toBe(3);

    await runTemplate(baseURL, token, templateId, 'one more');
    await waitForCount(list, 31, LIVE_WITHIN_MS);
    await page.getByText(/^31 runs of/).waitFor();
    expect(await documentIsMarked(page)).toBe(true);
    await context.close();
  });
});

describe('sessions', () => {
  it('signs out when the server rejects the token', async () => {
    const context = await newContext(browser, baseURL);
    const page = await open(context, '/sign-in');
    await page.getByLabel('Token', { exact: true }).fill('not.a.token');
    await page.getByRole('button', { name: 'Sign in with token' }).click();
    await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('promptmeter.token'))).toBeNull();
    await context.close();
  });
});

describe('the production bundle', () => {
  it('keeps the JavaScript of the template page under 250 KB gzip', async () => {
    const context = await newContext(browser, baseURL);
    const page = await context.newPage();
    const scripts = new Map<string, Buffer>();
    page.on('response', async (response) => {
      if (response.request().resourceType() === 'script') {
        scripts.set(response.url(), await response.body());
      }
    });
    await page.goto(templatePath);
    await page.getByRole('heading', { name: TEMPLATE, level: 1 }).waitFor();
    await page.waitForLoadState('networkidle');

    const gzipBytes = [...scripts.values()].reduce((sum, body) => sum + gzipSync(body).length, 0);
    const rawBytes = [...scripts.values()].reduce((sum, body) => sum + body.length, 0);
    console.log(
      `template page JS: ${scripts.size} file(s), ${(rawBytes / 1024).toFixed(1)} KB, ` +
        `${(gzipBytes / 1024).toFixed(1)} KB gzip`,
    );
    expect(scripts.size).toBeGreaterThan(0);
    expect(gzipBytes).toBeLessThan(250 * 1024);
    await context.close();
  });

  it('raised no uncaught errors in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
