import type { Plugin } from 'graphql-yoga';
import { type Authenticator, demoUserId } from '../auth/authenticator.ts';

const NAME = /^[\w.-]{1,100}$/;

/**
 * Development only (never with NODE_ENV=production): `POST /dev/token {"name":"alice"}` →
 * `{"token": "..."}` for the demo user of that name — what `npm run token` prints, for the UI.
 */
export function useDevTokens(authenticator: Authenticator): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname !== '/dev/token') return;
      if (request.method !== 'POST') {
        endResponse(Response.json({ error: 'POST {"name": "alice"}' }, { status: 405 }));
        return;
      }
      const body = (await request.json().catch(() => null)) as { name?: unknown } | null;
      const name = typeof body?.name === 'string' ? body.name.trim() : '';
      if (!NAME.test(name)) {
        endResponse(
          Response.json({ error: 'name: 1-100 letters, digits, _ . or -' }, { status: 400 }),
        );
        return;
      }
      const token = await authenticator.mint({ sub: demoUserId(name), name });
      endResponse(Response.json({ token, userId: demoUserId(name), name }));
    },
  };
}
