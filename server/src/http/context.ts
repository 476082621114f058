import type { IncomingMessage } from 'node:http';
import type { YogaInitialContext } from 'graphql-yoga';
import {
  AuthError,
  IdentityProviderUnavailable,
  type Session,
  type Viewer,
} from '../auth/authenticator.ts';
import { createUserRegistry } from '../auth/ensure-user.ts';
import type { Database } from '../db/database.ts';
import { REQUEST_ROLE } from '../db/roles.ts';
import type { SqlText } from '../db/sql.ts';
import { lazyViewerClient } from '../db/viewer-client.ts';
import { invalidToken, serviceUnavailable } from '../lib/api-errors.ts';
import type { Context, Services } from '../schema/context.ts';
import { serviceUnavailableIfDatabaseDown } from './database-unavailable.ts';
import { clientAddressOf } from './policy.ts';

/**
 * The per-IP limits' key for a peer address: an IPv4 address (also when IPv4-mapped), or an
 * IPv6 /64 — one subscriber's usual allocation, in which an address costs nothing to change.
 */
export function addressKey(address: string | undefined): string | null {
  if (!address) return null;
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return v4[1] as string;
  const [head = '', tail] = address.toLowerCase().split('%', 1)[0]?.split('::') ?? [];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = Array(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0');
  const groups = tail === undefined ? headGroups : [...headGroups, ...zeros, ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** What Yoga is given besides the request: Node's request, and for a WebSocket operation its key. */
export type ServerContext = {
  socketKey?: object;
  req?: IncomingMessage;
  /** A WebSocket operation's per-IP key, taken from its upgrade request when it connected. */
  clientAddress?: string | null;
};

/** What a WebSocket connection, or one of its operations, proved; set only in graphql-ws.ts. */
export const socketViewers = new WeakMap<object, Viewer | null>();

/** Each HTTP request's context.responseHeaders, applied to its response by useResponseHeaders. */
export const responseHeaders = new WeakMap<Request, Headers>();

/**
 * A token (or none) → its session, whose viewer then exists as a user; AuthError when it is
 * invalid, IdentityProviderUnavailable when it cannot be checked now.
 */
export type Authenticate = (authorization: unknown) => Promise<Session | null>;

/** An error of authentication as the API reports it, or null when it is not one. */
export function authenticationFailure(error: unknown) {
  if (error instanceof AuthError) return invalidToken(error.message);
  if (error instanceof IdentityProviderUnavailable) {
    console.error(`[auth] ${error.message}`);
    return serviceUnavailable('The identity provider cannot be reached to check the token.');
  }
  return null;
}

/** Yoga's context factory, per HTTP request or WebSocket operation, and how both authenticate. */
export function createContext(db: Database, services: Services, trustProxyHops = 0) {
  const ensureUser = createUserRegistry(db.prisma);

  const authenticate: Authenticate = async (authorization) => {
    const session = await services.authenticator.sessionFromAuthorization(authorization);
    if (session) await ensureUser(session.viewer);
    return session;
  };

  async function context({
    request,
    socketKey,
    req,
    clientAddress,
  }: YogaInitialContext & ServerContext): Promise<Context> {
    let viewer: Viewer | null;
    if (socketKey) {
      viewer = socketViewers.get(socketKey) ?? null;
    } else {
      try {
        viewer = (await authenticate(request.headers.get('authorization')))?.viewer ?? null;
      } catch (error) {
        const failure = authenticationFailure(error);
        if (failure) throw failure;
        // A first-time user is upserted here: with the database down, nothing can run.
        throw serviceUnavailableIfDatabaseDown(error) ?? error;
      }
    }
    const headers = new Headers();
    if (!socketKey) responseHeaders.set(request, headers);
    return {
      viewer,
      db: lazyViewerClient(db.prisma, viewer?.id ?? null),
      // A method: an arrow property would be named under esbuild's keepNames (tsx, the server
      // bundle), a property dictionary per context that a subscription keeps for its socket's life.
      readAsViewer(statements: SqlText[]) {
        return db.runAs(REQUEST_ROLE, viewer?.id ?? null, statements);
      },
      services,
      clientAddress: socketKey
        ? (clientAddress ?? null)
        : addressKey(clientAddressOf(req, trustProxyHops)),
      // A bearer credential until settled: read here, never logged.
      paymentHeader: socketKey ? null : request.headers.get('payment-signature'),
      resourceUrl: new URL('/graphql', request.url).toString(),
      responseHeaders: headers,
    };
  }

  return { authenticate, context };
}
