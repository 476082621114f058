import type { PrismaClient } from '../generated/prisma/client.ts';
import { UUID } from '../lib/uuid.ts';
import { type SqlText, sql } from './sql.ts';

/** Serves GraphQL requests as the viewer: subject to RLS, cannot bypass it. */
export const REQUEST_ROLE = 'promptmeter_app';
/** The run pipeline's writer: the only role the execution-log policies let write. */
export const BACKEND_ROLE = 'promptmeter_backend';
export const SCOPED_ROLES = [REQUEST_ROLE, BACKEND_ROLE] as const;
export type ScopedRole = (typeof SCOPED_ROLES)[number];

/** statement_timeout (ms) of every statement run as REQUEST_ROLE; see setRequestStatementTimeout. */
let requestStatementTimeoutMs = 5000;

/**
 * Bounds every statement a request runs (README "Security"): the app sets it from
 * REQUEST_STATEMENT_TIMEOUT_MS. One value per process, as there is one database.
 */
export function setRequestStatementTimeout(ms: number) {
  if (!Number.isInteger(ms) || ms < 1) throw new Error(`statement timeout must be ≥ 1 ms: ${ms}`);
  requestStatementTimeoutMs = ms;
}

/**
 * Takes `role` and the viewer (`app.user_id`, '' for none) for the rest of the transaction:
 * set_config's is_local, i.e. SET LOCAL, so nothing outlives it on a pooled connection. Role and
 * viewer are checked here, never caller-supplied text.
 */
function takeRole(role: ScopedRole, viewerId: string | null): SqlText {
  if (!SCOPED_ROLES.includes(role) || (viewerId !== null && !UUID.test(viewerId))) {
    throw new Error(`refusing role ${role} / viewer ${viewerId}`);
  }
  // A role setting (ALTER ROLE … SET) would not apply: the role is taken, not logged in as.
  if (role === REQUEST_ROLE) {
    return sql`SELECT set_config('role', ${role}, true), set_config('app.user_id', ${viewerId ?? ''}, true), set_config('statement_timeout', ${String(requestStatementTimeoutMs)}, true)`;
  }
  return sql`SELECT set_config('role', ${role}, true), set_config('app.user_id', ${viewerId ?? ''}, true)`;
}

/**
 * Switches the viewer (RLS) for the statements after it in a runAs message: one message can ask
 * on behalf of several viewers (executions/log-feed.ts).
 */
export function viewerSql(viewerId: string): SqlText {
  if (!UUID.test(viewerId)) throw new Error(`refusing viewer ${viewerId}`);
  return sql`SELECT set_config('app.user_id', ${viewerId}, true)`;
}

/**
 * The statements of one Database.runAs round trip: take `role` and the viewer for the rest of the
 * (implicit) transaction, then `statements`.
 */
export const runAsStatements = (
  role: ScopedRole,
  viewerId: string | null,
  statements: readonly SqlText[],
) => [takeRole(role, viewerId), ...statements];

/**
 * The same role-taking statement on Prisma, to open a `prisma.$transaction([asRole(…), …])`:
 * what follows in that transaction runs as `role` with that viewer, its values as parameters.
 */
export function asRole(prisma: PrismaClient, role: ScopedRole, viewerId: string | null = null) {
  const statement = takeRole(role, viewerId);
  return prisma.$executeRawUnsafe(statement.text, ...statement.values);
}
