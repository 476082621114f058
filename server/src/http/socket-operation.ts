// What a socket operation needs in place of an HTTP request's: a stand-in Request, and an end
// at its own token's exp.
import { invalidToken } from '../lib/api-errors.ts';

/** setTimeout's largest delay (about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Stand-ins for a socket operation's Request, by Host (clients choose it: a few are kept). */
const operationRequests = new Map<string, Request>();
const MAX_OPERATION_REQUESTS = 16;

/**
 * The Request that Yoga's context requires for a socket operation. Only its method and URL are
 * read (Yoga, context.ts's resourceUrl), so operations with one Host share one: a Request and
 * its Headers and URL cost ~1.7 KiB, which a live subscription's context keeps for its life.
 */
export function operationRequest(host: string): Request {
  let request = operationRequests.get(host);
  if (!request) {
    // POST: Yoga refuses mutations in GET requests, and a socket carries mutations too.
    request = new Request(`http://${host}/graphql`, { method: 'POST' });
    if (operationRequests.size < MAX_OPERATION_REQUESTS) operationRequests.set(host, request);
  }
  return request;
}

/**
 * The events of `result` until `expiresAt`; then an UNAUTHENTICATED error ends it (the source is
 * returned, so its listeners stop).
 */
export function untilExpiry<T>(result: T, expiresAt: number): T | AsyncIterable<unknown> {
  if (!result || typeof result !== 'object' || !(Symbol.asyncIterator in result)) return result;
  const source = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  return (async function* () {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(
        () => resolve('expired'),
        Math.min(Math.max(0, expiresAt - Date.now()), MAX_TIMER_MS),
      );
    });
    try {
      while (true) {
        const next = await Promise.race([source.next(), expired]);
        if (next === 'expired') {
          yield { errors: [invalidToken('token expired')] };
          return;
        }
        if (next.done) return;
        yield next.value;
      }
    } finally {
      clearTimeout(timer);
      await source.return?.();
    }
  })();
}
