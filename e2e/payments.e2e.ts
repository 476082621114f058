import { mkdir } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { devToken, graphql, templateIdByName } from './support/api.ts';
import {
  DESKTOP,
  documentIsMarked,
  launchBrowser,
  markDocument,
  newContext,
  PHONE,
  watchErrors,
} from './support/browser.ts';
import { executionRows, finishedOutput, signInThroughUi, waitForCount } from './support/ui.ts';
import { installTestWallet } from './support/wallet.ts';

// Paying from the UI against the real development server, whose built-in facilitator settles
// SIMULATED (no X402_FACILITATOR_URL): the demo wallet is offered, and any fresh key can pay.

const baseURL = inject('baseURL');
const TEMPLATE = 'Product description writer';
const PAY_TO = '0x5c0d1e5bd0000000000000000000000000000001';
const BASE_SEPOLIA = 84532;
const LIVE_WITHIN_MS = 1000;
const SCREENSHOTS = 'docs/screenshots';
const DEMO_LABEL = 'Demo wallet — simulated payments, no real money';

let browser: Browser;
const pageErrors: string[] = [];

const prompt = (page: Page) => page.getByRole('region', { name: 'Payment required' });
const receipt = (page: Page) => page.getByRole('region', { name: 'Payment receipt' });

/** A signed-in non-owner on the priced demo template's page. */
async function openAsNonOwner(context: BrowserContext, name: string): Promise<Page> {
  const page = await context.newPage();
  watchErrors(page, pageErrors);
  await signInThroughUi(page, name);
  await page.getByRole('link', { name: TEMPLATE }).click();
  await page.getByRole('heading', { name: TEMPLATE, level: 1 }).waitFor();
  await page.getByText('No executions yet. Run this template to see your history.').waitFor();
  return page;
}

/** Fills the form and runs: the server answers PAYMENT_REQUIRED, and the prompt shows. */
async function runUnpaid(page: Page, product: string) {
  await page.getByLabel(/^product/).fill(product);
  await page.getByLabel(/^facts/).fill('brass, dimmable, 40 cm');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await prompt(page).waitFor();
}

/** The paid run's outcome: output, receipt, and the live row in "Your Executions". */
async function expectPaidRun(page: Page, payer: string) {
  const output = finishedOutput(page);
  await output.waitFor();
  // The offline model answers with the prompt's size, never its text (the prompt is the owner's).
  expect(await output.textContent()).toMatch(/offline model.*Your prompt had \d+ words/);
  expect(await receipt(page).textContent()).toMatch(/^Paid 0\.01 USDC on Base Sepolia from 0x/);
  expect((await receipt(page).locator('code').first().getAttribute('title'))?.toLowerCase()).toBe(
    payer.toLowerCase(),
  );
  expect(await receipt(page).getByText('simulated', { exact: true }).isVisible()).toBe(true);
  expect(await prompt(page).count()).toBe(0);

  await waitForCount(executionRows(page), 1, LIVE_WITHIN_MS);
  const row = executionRows(page).first();
  expect(await row.getAttribute('data-status')).toBe('SUCCESS');
  expect(await row.locator('.execution-row__amount').textContent()).toContain('0.01');
}

const gzipKB = (bodies: Buffer[]) =>
  (bodies.reduce((sum, body) => sum + gzipSync(body).length, 0) / 1024).toFixed(1);

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('paying for a run from the template page', () => {
  it('a non-owner pays with the demo wallet: output, amount paid, and the row live', async () => {
    const context = await newContext(browser, baseURL);
    const page = await openAsNonOwner(context, 'dana');
    const scripts = new Map<string, Buffer>();
    page.on('response', async (response) => {
      if (response.request().resourceType() === 'script') {
        scripts.set(response.url(), await response.body());
      }
    });
    await page.reload();
    await page.getByRole('heading', { name: TEMPLATE, level: 1 }).waitFor();
    await page.waitForLoadState('networkidle');
    const pageScripts = new Set(scripts.keys());

    await runUnpaid(page, 'Brass lamp');
    const terms = prompt(page).locator('dl');
    expect(await terms.textContent()).toContain('Amount0.01 USDC');
    expect(await terms.textContent()).toContain('NetworkBase Sepolia (eip155:84532)');
    expect((await terms.locator('code').textContent())?.toLowerCase()).toBe(PAY_TO);
    // Headless Chromium has no wallet extension: the page says how to get one.
    expect(await prompt(page).textContent()).toContain('No browser wallet found.');
    const demo = prompt(page).getByRole('region', { name: DEMO_LABEL });
    await demo.waitFor();
    expect(await demo.textContent()).toContain('created in this browser the first time');
    // Nothing of the payment code is loaded until someone pays.
    expect(scripts.size).toBe(pageScripts.size);

    await markDocument(page);
    await demo.getByRole('button', { name: 'Pay 0.01 USDC with the demo wallet' }).click();
    const stored = await page.waitForFunction(() => localStorage.getItem('promptmeter.demoWallet'));
    const demoWallet = JSON.parse((await stored.jsonValue()) as string) as { address: string };
    await expectPaidRun(page, demoWallet.address);
    expect(await documentIsMarked(page)).toBe(true);

    const main = [...pageScripts].map((url) => scripts.get(url) as Buffer);
    const lazy = [...scripts.keys()].filter((url) => !pageScripts.has(url));
    expect(lazy.some((url) => /\/assets\/sign-[\w-]+\.js$/.test(url))).toBe(true);
    console.log(
      `template page JS: ${gzipKB(main)} KB gzip (${main.length} file); payment code loaded on ` +
        `pay: ${gzipKB(lazy.map((url) => scripts.get(url) as Buffer))} KB gzip ` +
        `(${lazy.map((url) => url.replace(/.*\/assets\//, '')).join(', ')})`,
    );

    // The server has the run as paid, settled offline.
    const token = await devToken(baseURL, 'dana');
    const templateId = await templateIdByName(baseURL, token, TEMPLATE);
    const history = await graphql<{
      myExecutions: { edges: Array<{ node: Record<string, string> }> };
    }>(
      baseURL,
      token,
      `query($id: ID!) { myExecutions(templateId: $id) { edges { node {
        amountPaid network payerAddress paymentTransaction } } } }`,
      { id: templateId },
    );
    expect(history.myExecutions.edges.map((edge) => edge.node)).toEqual([
      {
        amountPaid: '0.01',
        network: 'eip155:84532',
        payerAddress: demoWallet.address,
        paymentTransaction: expect.stringMatching(/^simulated:0x[0-9a-f]{64}$/),
      },
    ]);
    await context.close();
  });

  it('pays with an EIP-1193 browser wallet: switches chain, explains refusals, then signs', async () => {
    const context = await newContext(browser, baseURL);
    const wallet = await installTestWallet(context, 1);
    const page = await openAsNonOwner(context, 'erin');
    await runUnpaid(page, 'Walnut desk');
    const payButton = prompt(page).getByRole('button', { name: 'Pay 0.01 USDC with your wallet' });
    await prompt(page).getByRole('region', { name: DEMO_LABEL }).waitFor();

    await mkdir(SCREENSHOTS, { recursive: true });
    await page.setViewportSize(DESKTOP);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: `${SCREENSHOTS}/payment-desktop.png`, fullPage: true });
    await page.setViewportSize(PHONE);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize(DESKTOP);

    // 1. The payer refuses to switch networks.
    wallet.rejectNext('wallet_switchEthereumChain');
    await payButton.click();
    const alert = prompt(page).getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Your wallet is not on Base Sepolia\./);
    expect(await alert.textContent()).toContain(
      'Switch your wallet to Base Sepolia (eip155:84532)',
    );
    expect(wallet.chainId()).toBe(1);

    // 2. The payer switches, then declines to sign.
    wallet.rejectNext('eth_signTypedData_v4');
    await payButton.click();
    await alert.filter({ hasText: 'You declined the request in your wallet.' }).waitFor();
    expect(wallet.chainId()).toBe(BASE_SEPOLIA);
    expect(await executionRows(page).count()).toBe(0);

    // 3. The payer signs.
    await payButton.click();
    await expectPaidRun(page, wallet.address);

    const methods = wallet.calls.map((call) => call.method);
    expect(methods).toContain('eth_requestAccounts');
    const switches = wallet.calls.filter((call) => call.method === 'wallet_switchEthereumChain');
    expect(switches.map((call) => call.params)).toEqual([
      [{ chainId: '0x14a34' }],
      [{ chainId: '0x14a34' }],
    ]);
    const signatures = wallet.calls.filter((call) => call.method === 'eth_signTypedData_v4');
    expect(signatures).toHaveLength(2);
    const typedData = JSON.parse((signatures[1]?.params[1] as string) ?? '{}');
    expect(typedData).toMatchObject({
      primaryType: 'TransferWithAuthorization',
      domain: { name: 'USDC', version: '2', chainId: BASE_SEPOLIA },
      message: { value: '10000' },
    });
    expect(typedData.message.to.toLowerCase()).toBe(PAY_TO);
    await context.close();
  });

  it('raised no uncaught errors in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
