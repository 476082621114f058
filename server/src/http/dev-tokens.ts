import type { IncomingMessage, ServerResponse } from 'node:http';
import { json } from 'node:stream/consumers';
import { type Authenticator, demoUserId } from '../auth/authenticator.ts';

const NAME = /^[\w.-]{1,100}$/;

/**
 * Development only (never with NODE_ENV=production): `POST /dev/token {"name":"alice"}` →
 * `{"token": "..."}` for the demo user of that name — what `npm run token` prints, for the UI.
 */
export function serveDevTokens(authenticator: Authenticator) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return reply(res, 405, { error: 'POST {"name": "alice"}' });
    const body = (await json(req).catch(() => null)) as { name?: unknown } | null;
    const name = typeof body?.name === 'string' ? body.name.trim() : '';
    if (!NAME.test(name)) {
      return reply(res, 400, { error: 'name: 1-100 letters, digits, _ . or -' });
    }
    const token = await authenticator.mint({ sub: demoUserId(name), name });
    reply(res, 200, { token, userId: demoUserId(name), name });
  };
}

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
