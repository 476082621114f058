import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkRunsSql } from '../support/analytics-data.ts';
import { type ServerProcess, useServerProcesses } from '../support/server-process.ts';
import {
  createPricedTemplate,
  type FaultStack,
  skipFaultSuite,
  startFaultStack,
  type Template,
} from './fault-stack.ts';
import { gql, isAlive } from './graphql-client.ts';

// Issue 14, Export, "a failure after the first byte cuts the connection": the database stops or
// restarts while a download is under way. The file is never silently short: it ends with every
// row once, or the connection is cut. Once the database is back, a new link downloads it all.
// The suite brings its own PostgreSQL: default (PGlite) mode only, not twice.

const ROWS = 60_000; // six pages

describe.skipIf(skipFaultSuite)('the database stops or restarts during an export', () => {
  useServerProcesses();
  let stack: FaultStack;
  let server: ServerProcess;
  let template: Template;

  beforeAll(async () => {
    stack = await startFaultStack({ modelDelayMs: 0 });
    server = await stack.server('export-outage');
    template = await createPricedTemplate(server.url, 'export');
    await stack.db.query(
      bulkRunsSql(template.dbId, ROWS, {
        payer_address: `'0x${'ab'.repeat(20)}'`,
        status: `'success'`,
        input_tokens: 'n',
      }),
    );
  }, 180_000);
  afterAll(() => stack?.close());

  /** A new NDJSON export link of every run (retried while the server cannot reach the database). */
  async function exportPath() {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(500)) {
      const result = await gql(
        server.url,
        'mutation($t: ID!) { createExecutionExport(templateId: $t, format: NDJSON) { path } }',
        { t: template.id },
        { token: template.ownerToken },
      );
      const path = result.data?.createExecutionExport?.path;
      if (typeof path === 'string') return path;
    }
    throw new Error('no export link within 60 s');
  }

  /**
   * Downloads an export, running `fault` once the first bytes are in (the server then waits on
   * this reader: backpressure), and reading on after it. Returns the ids and whether it was cut.
   */
  async function download(fault: () => Promise<void> = async () => {}) {
    const response = await fetch(`${server.url}${await exportPath()}`);
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    let cut = false;
    let faulted = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        if (!faulted) {
          faulted = true;
          await fault();
        }
      }
    } catch {
      cut = true;
    }
    const lines = text.split('\n');
    const complete = lines.slice(0, -1).map((line) => JSON.parse(line).inputTokens as number);
    return { cut, tokens: complete };
  }

  const everyRowOnce = (tokens: number[]) =>
    tokens.length === ROWS && new Set(tokens).size === ROWS;

  it('stopped mid-download: the connection is cut, never a short file; afterwards all of it', {
    timeout: 240_000,
  }, async () => {
    const during = await download(() => stack.postgres.stop());
    expect(during.cut).toBe(true);
    expect(during.tokens.length).toBeGreaterThan(0);
    expect(during.tokens.length).toBeLessThan(ROWS);
    await stack.postgres.start();
    expect(await isAlive(server.url)).toBe(true);
    const after = await download();
    expect(after.cut).toBe(false);
    expect(everyRowOnce(after.tokens)).toBe(true);
    // Newest first: the last row inserted is the first line.
    expect(after.tokens[0]).toBe(ROWS);
  });

  it('restarted mid-download: every row once, or the connection is cut', {
    timeout: 240_000,
  }, async () => {
    const during = await download(() => stack.postgres.restart());
    expect(during.cut || everyRowOnce(during.tokens)).toBe(true);
    console.log(
      `[export-outage] restart mid-download: ${during.cut ? 'cut' : 'complete'} after ${during.tokens.length} rows`,
    );
    const after = await download();
    expect(after.cut).toBe(false);
    expect(everyRowOnce(after.tokens)).toBe(true);
  });
});
