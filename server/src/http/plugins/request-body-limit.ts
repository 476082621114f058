// Follows graphql-yoga 5.24.1's body-size limit: packages/graphql-yoga/src/plugins/
// request-validation/use-limit-request-body-size.ts (installed as node_modules/graphql-yoga/esm/
// plugins/request-validation/use-limit-request-body-size.js), with the same error codes (413
// REQUEST_ENTITY_TOO_LARGE, 400 BAD_REQUEST for an invalid Content-Length). What differs, and why:
// - a body with a valid Content-Length is not piped through a counting TransformStream (Node's
//   parser delivers exactly that many bytes); upstream counts every body, a cost per request;
// - the 413 message names the limit in bytes (upstream: "Request body too large");
// - counting always uses fetchAPI.TransformStream: upstream's switch to the global one for a
//   native ReadableStream body (graphql-yoga issue 4583) is not needed under Yoga's Node adapter
//   (request-limits.test.ts counts chunked bodies through this one).
import type { Plugin } from 'graphql-yoga';
import { apiError } from '../../lib/api-errors.ts';

/** The largest GraphQL request body accepted (a template plus variables fits many times over). */
export const MAX_REQUEST_BODY_BYTES = 1_000_000;

const tooLarge = () =>
  apiError('REQUEST_ENTITY_TOO_LARGE', `Request body larger than ${MAX_REQUEST_BODY_BYTES} bytes`, {
    http: { status: 413 },
  });

/**
 * Yoga's body-size limit (turned off in app.ts in favour of this one) pipes every body through a
 * TransformStream, a cost per request that shows in profiles. With a Content-Length header the
 * stream is not needed: Node's HTTP parser delivers exactly that many bytes, so checking the
 * header is the whole check. Only bodies without one (chunked) are counted as they stream.
 */
export function useRequestBodyLimit(maxBytes = MAX_REQUEST_BODY_BYTES): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const length = request.headers.get('content-length');
      if (length !== null) {
        if (!/^\d+$/.test(length)) {
          throw apiError('BAD_REQUEST', 'Content-Length header is invalid.', {
            http: { status: 400 },
          });
        }
        if (Number(length) > maxBytes) throw tooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((unlimited) => {
        let bytes = 0;
        const body = unlimited.body?.pipeThrough(
          new fetchAPI.TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              bytes += chunk.byteLength;
              if (bytes > maxBytes) controller.error(tooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
        return parse(
          new fetchAPI.Request(unlimited.url, {
            method: unlimited.method,
            headers: unlimited.headers,
            signal: unlimited.signal,
            body,
            duplex: 'half',
          } as RequestInit),
        );
      });
    },
  };
}
