import type { Locator, Page } from 'playwright-core';

/** Signs in from the header's "Sign in" link, as a demo user of the development server. */
export async function signInThroughUi(page: Page, name: string) {
  await page.goto('/');
  await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).click();
  const demoButton = page.getByRole('button', { name: `Sign in as ${name}` });
  if (await demoButton.count()) {
    await demoButton.click();
  } else {
    await page.getByLabel('Another name').fill(name);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }
  await page.getByRole('banner').getByText(name, { exact: true }).waitFor();
}

/** Polls until the locator matches `count` elements; fails after `timeout` ms. */
export async function waitForCount(locator: Locator, count: number, timeout: number) {
  const deadline = Date.now() + timeout;
  let seen = await locator.count();
  while (seen !== count) {
    if (Date.now() > deadline) {
      throw new Error(`expected ${count} elements within ${timeout} ms, saw ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
    seen = await locator.count();
  }
}

/** The "Your Executions" panel of a template page and its rows. */
export const executionsPanel = (page: Page) =>
  page.getByRole('region', { name: /Your Executions/ });
export const executionRows = (page: Page) => executionsPanel(page).getByRole('listitem');

/** The output of a run that has ended (while it streams, the Output region is aria-busy). */
export const finishedOutput = (page: Page) =>
  page.getByRole('region', { name: 'Output' }).and(page.locator(':not([aria-busy="true"])'));
