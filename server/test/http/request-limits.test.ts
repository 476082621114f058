import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_BODY_BYTES } from '../../src/http/plugins/request-body-limit.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** A raw HTTP/1.1 POST to /graphql, with a Content-Length or chunked (as the body is streamed). */
function post(app: TestApp, body: string, chunked: boolean) {
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const request = httpRequest(`${app.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(chunked ? {} : { 'content-length': Buffer.byteLength(body) }),
      },
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          json: JSON.parse(Buffer.concat(chunks).toString()),
        }),
      );
    });
    request.on('error', reject);
    if (chunked) {
      // Written in pieces: Node sends Transfer-Encoding: chunked without a Content-Length.
      for (let at = 0; at < body.length; at += 65_536) request.write(body.slice(at, at + 65_536));
      request.end();
    } else request.end(body);
  });
}

describe('request body size', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.close());

  const padded = (bytes: number) =>
    JSON.stringify({ query: `{ __typename }`, variables: { pad: 'x'.repeat(bytes) } });

  for (const chunked of [false, true]) {
    const how = chunked ? 'chunked' : 'with a Content-Length';
    it(`answers a request ${how} under the limit`, async () => {
      const { status, json } = await post(app, padded(MAX_REQUEST_BODY_BYTES - 1000), chunked);
      expect(status).toBe(200);
      expect(json.data).toEqual({ __typename: 'Query' });
    });

    it(`refuses a request ${how} over the limit with 413 and REQUEST_ENTITY_TOO_LARGE`, async () => {
      const { status, json } = await post(app, padded(MAX_REQUEST_BODY_BYTES + 1), chunked);
      expect(status).toBe(413);
      expect(json.errors[0].extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
    });
  }
});
