import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { devToken, graphql } from './support/api.ts';
import { launchBrowser, newContext, watchErrors } from './support/browser.ts';

// Issue 2, done-when 1: the newcomer's path in GraphiQL — served offline, signed in as the demo
// user in development, a subscription that receives a run the moment it is logged.
describe('GraphiQL at /graphql', () => {
  const baseURL = inject('baseURL');
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(() => browser?.close());

  it('watches executionLogged receive a run, with no network but this server', async () => {
    const context = await newContext(browser, baseURL);
    const page = await context.newPage();
    // GraphiQL runs under the server's Content-Security-Policy: nothing it needs is refused.
    const errors: string[] = [];
    watchErrors(page, errors);
    const foreign: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(baseURL) && !/^(data|blob):/.test(request.url())) {
        foreign.push(request.url());
      }
    });
    const alice = await devToken(baseURL, 'alice');
    const { templates } = await graphql<{
      templates: { edges: Array<{ node: { id: string; name: string } }> };
    }>(baseURL, alice, '{ templates(first: 100) { edges { node { id name } } } }');
    // The free demo template (other browser tests publish templates of their own).
    const free = templates.edges.find((edge) => edge.node.name === 'Explain like I am five')?.node
      .id as string;

    const subscription = `subscription { executionLogged(templateId: "${free}") { id status } }`;
    const opened = await page.goto(`/graphql?query=${encodeURIComponent(subscription)}`);
    expect(opened?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.graphiql-execute-button').click();
    await page.waitForTimeout(1000); // graphql-ws gives no "subscribed" signal to wait for

    const run = await graphql<{ executeTemplate: { execution: { id: string } } }>(
      baseURL,
      alice,
      `mutation($id: ID!) { executeTemplate(input: { templateId: $id, variables: { topic: "moss" } }) { execution { id } } }`,
      { id: free },
    );
    // The response editor wraps long strings: compare with the whitespace taken out.
    const response = async () =>
      ((await page.locator('.graphiql-response').textContent()) ?? '').replace(/\s+/g, '');
    // The run's start (RUNNING) may show first; its end replaces it.
    await expect.poll(response, { timeout: 5000 }).toContain('"status":"SUCCESS"');
    expect(await response()).toContain(run.executeTemplate.execution.id);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
