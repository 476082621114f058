import { UUID } from '../lib/uuid.ts';
import type { SqlText } from './sql.ts';

/** Serves GraphQL requests as the viewer: subject to RLS, cannot bypass it. */
export const REQUEST_ROLE = 'promptmeter_app';
/** The run pipeline's writer: the only role the execution-log policies let write. */
export const BACKEND_ROLE = 'promptmeter_backend';
export const SCOPED_ROLES = [REQUEST_ROLE, BACKEND_ROLE] as const;
export type ScopedRole = (typeof SCOPED_ROLES)[number];

/** Joins the statements of one runAs message. */
export const STATEMENT_SEPARATOR = ';\n';

/**
 * The text of one Database.runAs message: take `role` and the viewer for the rest of the
 * (implicit) transaction, then `statements`. Role and viewer are checked here, never
 * caller-supplied text.
 */
export function runAsMessage(role: ScopedRole, viewerId: string | null, statements: SqlText[]) {
  if (!SCOPED_ROLES.includes(role) || (viewerId !== null && !UUID.test(viewerId))) {
    throw new Error(`refusing role ${role} / viewer ${viewerId}`);
  }
  const takeRole = `SELECT set_config('role', '${role}', true), set_config('app.user_id', '${viewerId ?? ''}', true)`;
  return [takeRole, ...statements.map((statement) => statement.text)].join(STATEMENT_SEPARATOR);
}
