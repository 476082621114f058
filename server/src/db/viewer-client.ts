import type { PrismaClient } from '../generated/prisma/client.ts';
import { asRole, BACKEND_ROLE, REQUEST_ROLE, type ScopedRole } from './roles.ts';

/**
 * A Prisma client whose every operation runs in its own short transaction that first switches
 * to `role` and sets the viewer (`app.user_id`) — both transaction-local, so nothing leaks to
 * the next user of the pooled connection, and no connection is held between operations.
 */
export function scopedClient(prisma: PrismaClient, role: ScopedRole, userId: string | null) {
  return prisma.$extends({
    name: `${role}-scope`,
    query: {
      $allModels: {
        async $allOperations({ args, query }) {
          const [, result] = await prisma.$transaction([asRole(prisma, role, userId), query(args)]);
          return result;
        },
      },
    },
  }) as unknown as PrismaClient;
}

/** The request's database client: the viewer's rows only. */
export const viewerClient = (prisma: PrismaClient, userId: string | null) =>
  scopedClient(prisma, REQUEST_ROLE, userId);

/**
 * viewerClient, built on first use: most requests (history pages, which read on the driver)
 * never touch Prisma, and a scoped client costs a Prisma `$extends` per request.
 */
export function lazyViewerClient(prisma: PrismaClient, userId: string | null): PrismaClient {
  let client: PrismaClient | undefined;
  // Methods, not named arrows: under esbuild's keepNames (tsx, the server bundle) each named
  // arrow costs a property dictionary, per request and per live subscription here.
  const handler: ProxyHandler<PrismaClient> & { target(): PrismaClient } = {
    target() {
      client ??= viewerClient(prisma, userId);
      return client;
    },
    get(_empty, property) {
      const value = Reflect.get(handler.target(), property);
      return typeof value === 'function' ? value.bind(handler.target()) : value;
    },
    has(_empty, property) {
      return Reflect.has(handler.target(), property);
    },
  };
  return new Proxy({} as PrismaClient, handler);
}

/** The backend's writer for usage logs and users. */
export const backendClient = (prisma: PrismaClient) => scopedClient(prisma, BACKEND_ROLE, null);
