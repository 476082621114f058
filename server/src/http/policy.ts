import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** What the HTTP layer exposes, set by the environment (env.ts); see README "Production checklist". */
export interface HttpPolicy {
  /** POST /dev/token and GraphiQL's embedded token, for loopback clients only. */
  devConveniences: boolean;
  introspection: boolean;
  graphiql: boolean;
  /** "Did you mean …?" in validation and coercion errors. */
  suggestions: boolean;
  /** Browser origins allowed cross-origin (HTTP and WebSocket); '*' for any. */
  corsOrigins: readonly string[];
  /** Sends Strict-Transport-Security. */
  production: boolean;
  /**
   * Reverse proxies in front of the server that append to X-Forwarded-For: the client address
   * of the per-IP limits is that many entries from its right. 0: the TCP peer.
   */
  trustProxyHops: number;
}

/** What a development server does (tests build apps with it); production turns it down. */
export const DEVELOPMENT_HTTP_POLICY: HttpPolicy = {
  devConveniences: false,
  introspection: true,
  graphiql: true,
  suggestions: true,
  corsOrigins: [],
  production: false,
  trustProxyHops: 0,
};

/**
 * The client's address: the TCP peer, or with `hops` trusted proxies the entry they appended
 * for it to X-Forwarded-For (entries further left are the client's own claims, never trusted).
 */
export function clientAddressOf(
  req: IncomingMessage | undefined,
  hops: number,
): string | undefined {
  const peer = req?.socket.remoteAddress;
  if (hops === 0 || !req) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  // [..., client, proxy 1, …, proxy hops-1] + peer (the last proxy): the client is `hops` from the right.
  return forwarded[forwarded.length - hops] ?? peer;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A request from this machine to this machine by name: the peer is a loopback address AND the
 * Host is a loopback name, so a page on another site that rebinds its DNS name to 127.0.0.1 (its
 * Host stays its own name) gets nothing either.
 */
export function isLoopbackRequest(req: IncomingMessage | undefined): boolean {
  const peer = req?.socket.remoteAddress ?? '';
  const loopbackPeer = peer === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(peer);
  const host = (req?.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  return loopbackPeer && LOOPBACK_HOSTS.has(host);
}

/**
 * Whether a browser page of `origin` may use the API: its own origin (same host), or one in the
 * allow-list. A request without Origin is not a browser's cross-origin request.
 */
export function originAllowed(
  origin: string | null | undefined,
  host: string | undefined,
  allowList: readonly string[],
): boolean {
  if (!origin) return true;
  if (allowList.includes('*') || allowList.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Yoga's `cors` option: allowed origins get CORS headers (no credentials: tokens are bearer). */
export function corsFor(allowList: readonly string[], exposedHeaders: string[]) {
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || !(allowList.includes('*') || allowList.includes(origin))) return false;
    return { origin: [origin], credentials: false, exposedHeaders };
  };
}

/**
 * Security headers on every response. The CSP is one the web client and GraphiQL pass (both
 * load only their own scripts; GraphiQL's editor sets inline styles and runs workers from here).
 */
export function setSecurityHeaders(req: IncomingMessage, res: ServerResponse, production: boolean) {
  const host = req.headers.host ?? '';
  const socketOrigins = /^[\w.\-:[\]]+$/.test(host) ? ` ws://${host} wss://${host}` : '';
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      `connect-src 'self'${socketOrigins}`,
      "worker-src 'self' blob:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "object-src 'none'",
    ].join('; '),
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  if (production) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
}

/**
 * CSRF prevention: a browser sends form-urlencoded, multipart and text/plain bodies cross-origin
 * without a preflight, so a POST must be JSON (application/json or application/graphql-response+json).
 */
export function useJsonPostsOnly(): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.method !== 'POST') return;
      const type = (request.headers.get('content-type') ?? '')
        .split(';', 1)[0]
        ?.trim()
        .toLowerCase();
      if (type === 'application/json' || type === 'application/graphql-response+json') return;
      endResponse(
        fetchAPI.Response.json(
          {
            errors: [
              {
                message: 'POST bodies must be application/json',
                extensions: { code: 'BAD_REQUEST' },
              },
            ],
          },
          { status: 415 },
        ),
      );
    },
  };
}

const SUGGESTION = / ?Did you mean .*\?$/s;

/** Without suggestions, error messages do not list the schema's names ("Did you mean …?"). */
export const withoutSuggestion = (message: string) => message.replace(SUGGESTION, '');

/** Introspection and suggestions as the policy says (both off in production by default). */
export function useSchemaExposure(
  policy: Pick<HttpPolicy, 'introspection' | 'suggestions'>,
): Plugin {
  return {
    onValidate({ addValidationRule }) {
      if (!policy.introspection) addValidationRule(NoSchemaIntrospectionCustomRule);
      if (policy.suggestions) return;
      return ({ result, setResult }) => {
        if (!result.some((error) => SUGGESTION.test(error.message))) return;
        setResult(
          result.map(
            (error) =>
              new GraphQLError(withoutSuggestion(error.message), {
                nodes: error.nodes,
                extensions: error.extensions,
              }),
          ),
        );
      };
    },
  };
}
