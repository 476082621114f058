/**
 * A template with its server's owners (who run it free) in one statement, for Database.runAs as
 * the viewer: RLS decides whether it is visible. Prisma would send two (it loads an `include`
 * with a second query) and compile them first.
 */

import { sql } from '../db/sql.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { RunnableTemplate } from './ownership.ts';

export const runnableTemplateSql = (id: string) =>
  sql`SELECT t.id, t.server_id, t.name, t.description, t.prompt, t.variables, t.model, t.max_tokens, t.price_usdc, t.pay_to, t.network, t.created_at, s.registered_by, s.verified_owner_id FROM templates t JOIN servers s ON s.id = t.server_id WHERE t.id = ${sql.uuid(id)}`;

/** runnableTemplateSql's row in the shape Prisma's findUnique with the server's owners has. */
export const toRunnableTemplate = (row: Record<string, unknown>): RunnableTemplate => ({
  id: row.id as string,
  serverId: row.server_id as string,
  name: row.name as string,
  description: row.description as string,
  prompt: row.prompt as string,
  variables: row.variables as Prisma.JsonValue,
  model: row.model as string,
  maxTokens: row.max_tokens as number,
  priceUsdc: new Prisma.Decimal(row.price_usdc as string),
  payTo: row.pay_to as string,
  network: row.network as string,
  createdAt: row.created_at as Date,
  server: {
    registeredById: row.registered_by as string,
    verifiedOwnerId: row.verified_owner_id as string | null,
  },
});
