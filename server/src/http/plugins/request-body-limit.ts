import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** The largest GraphQL request body accepted (a template plus variables fits many times over). */
export const MAX_REQUEST_BODY_BYTES = 1_000_000;

const tooLarge = () =>
  createGraphQLError(`Request body larger than ${MAX_REQUEST_BODY_BYTES} bytes`, {
    extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' },
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
          throw createGraphQLError('Content-Length header is invalid.', {
            extensions: { http: { status: 400 }, code: 'BAD_REQUEST' },
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
