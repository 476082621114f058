import v8 from 'node:v8';
import vm from 'node:vm';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bulkRunsSql,
  countLines,
  insertOwnedTemplate,
  uuidFrom,
} from '../support/analytics-data.ts';
import { stack } from '../support/databases.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Issue 14, Export: 1,000,000 rows stream with flat server memory. The server and this client
// share the process: the client counts lines as they arrive and keeps nothing, so heap growth
// would be the server buffering (the CSV is ~160 MB; the bound is 64 MB of live heap and buffers,
// sampled after a full collection at each tenth of the download).

// Live memory is what a full collection leaves: sample it right after one. Buffers (the pages'
// bytes) live outside the JS heap: counted too.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
const liveHeap = () => {
  collectGarbage();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};

// The million rows on PostgreSQL (CI's second pass); PGlite, single-connection WASM that takes
// minutes to write them, streams a tenth of that with the same memory bound.
const ROWS = Number(process.env.EXPORT_SCALE_ROWS ?? (stack.postgres ? 1_000_000 : 100_000));
const templateId = uuidFrom(1, 'abcd');

describe(`an export of ${ROWS.toLocaleString('en')} runs`, () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp();
    const owned = await insertOwnedTemplate(app, 'bulk-owner', templateId);
    token = owned.token;
    const owner = owned.ownerId;
    await app.db.exec(
      bulkRunsSql(templateId, ROWS, {
        caller_id: `'${owner}'`,
        status: `CASE WHEN n % 7 = 0 THEN 'failed' ELSE 'success' END`,
        error_message: `CASE WHEN n % 7 = 0 THEN '=HYPERLINK("http://x", "n' || n || '")' END`,
        input_tokens: 'n % 1000',
        output_tokens: 'n % 2000',
        execution_time_ms: 'n % 5000',
      }),
    );
  }, 600_000);
  afterAll(() => app?.close());

  it('streams every row as CSV while memory stays flat', async () => {
    const result = await app.gql(
      `mutation($t: ID!) { createExecutionExport(templateId: $t, format: CSV) { path } }`,
      { t: encodeGlobalID('Template', templateId) },
      { token },
    );
    const baseline = liveHeap();
    let peak = baseline;
    let samples = 0;
    // Sampled at each tenth of the download (by the bytes a row takes at least), not on a
    // timer: a full collection of this process's heap takes long enough under load that a timer
    // could sample a fast download too few times.
    const step = (ROWS * 150) / 10;
    let nextSample = step;
    const started = Date.now();
    const response = await fetch(`${app.url}${result.data?.createExecutionExport.path}`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let bytes = 0;
    let lines = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      lines += countLines(value);
      if (bytes >= nextSample) {
        nextSample += step;
        peak = Math.max(peak, liveHeap());
        samples++;
      }
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `[export-scale] ${ROWS} rows, ${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s (${Math.round(ROWS / seconds)} rows/s, with ${samples} full collections); heap + buffers ${(baseline / 1e6).toFixed(0)} → peak ${(peak / 1e6).toFixed(0)} MB`,
    );
    expect(samples).toBeGreaterThanOrEqual(10);
    expect(lines).toBe(ROWS + 1);
    expect(bytes).toBeGreaterThan(ROWS * 150);
    expect(peak - baseline).toBeLessThan(64e6);
  }, 900_000);
});
