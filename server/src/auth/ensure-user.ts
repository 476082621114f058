import { backendClient } from '../db/viewer-client.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Viewer } from './authenticator.ts';

/**
 * Creates users on first sight of their token (like Supabase's auth.users), and keeps their name
 * in step with the token's. Remembers whom it has seen, so a known user costs no query.
 */
export function createUserRegistry(prisma: PrismaClient, maxRemembered = 100_000) {
  const db = backendClient(prisma);
  const seen = new Map<string, string | null>();
  return async function ensureUser(viewer: Viewer): Promise<void> {
    if (seen.has(viewer.id) && seen.get(viewer.id) === viewer.name) return;
    await db.user.upsert({
      where: { id: viewer.id },
      create: { id: viewer.id, name: viewer.name },
      update: viewer.name ? { name: viewer.name } : {},
      select: { id: true },
    });
    if (seen.size >= maxRemembered) seen.clear();
    seen.set(viewer.id, viewer.name);
  };
}
