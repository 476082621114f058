import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator } from '../auth/authenticator.ts';
import { EXPORT_PATH } from '../executions/run-export.ts';
import { serveClientAssets } from './client-assets.ts';
import { serveDevTokens } from './dev-tokens.ts';
import { GRAPHIQL_ASSETS, serveGraphiQLAsset } from './graphiql-page.ts';
import { isLoopbackRequest, setSecurityHeaders } from './policy.ts';

/** Paths the API answers itself; everything else that is a GET may be the single-page app. */
const API_PATHS = /^\/(?:graphql|health|dev|export)(?:\/|$)/;

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface Routes {
  /** The built web client (client/dist), served at every GET path outside the API. */
  clientDist?: string;
  /** Development only: POST /dev/token mints a token for a demo user (the UI's "Sign in as"). */
  devTokens?: Authenticator;
  /** GET /health/live and /health/ready (health.ts); Yoga keeps answering GET /health. */
  health?: Handler;
  /** Adds Strict-Transport-Security to the security headers. */
  production?: boolean;
  /** GET /export/executions?token=… (export-route.ts). */
  exportRuns?: Handler;
}

/**
 * The node:http request listener: the routes that are not GraphQL (GraphiQL's assets, the web
 * client, /dev/token, /health/*, /export/executions), then Yoga for the rest (/graphql, its GraphiQL page, /health,
 * 404s).
 */
export function routeRequests(
  yoga: Handler,
  { clientDist, devTokens, health, production = false, exportRuns }: Routes,
) {
  const clientAssets = clientDist ? serveClientAssets(clientDist) : null;
  const devToken = devTokens ? serveDevTokens(devTokens) : null;

  function handlerFor(req: IncomingMessage): Handler {
    const pathname = (req.url ?? '/').split('?', 1)[0] ?? '/';
    // Never to another address, nor to a page that reached us by a rebound DNS name.
    if (devToken && pathname === '/dev/token' && isLoopbackRequest(req)) return devToken;
    if (health && pathname.startsWith('/health/')) return health;
    if (exportRuns && pathname === EXPORT_PATH) return exportRuns;
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (read && pathname.startsWith(GRAPHIQL_ASSETS)) return serveGraphiQLAsset;
    if (clientAssets && read && !API_PATHS.test(pathname)) return clientAssets;
    return yoga;
  }

  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      setSecurityHeaders(req, res, production);
      await handlerFor(req)(req, res);
    } catch (error) {
      console.error('[http] failed to answer', req.method, req.url, error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Internal Server Error');
    }
  };
}
