import type { Viewer } from '../auth/authenticator.ts';
import type { Server, Template } from '../generated/prisma/client.ts';

/** A template with what decides who owns it (its server's registrant or verified owner). */
export type RunnableTemplate = Template & {
  server: Pick<Server, 'registeredById' | 'verifiedOwnerId'>;
};

export const isOwner = (template: RunnableTemplate, viewer: Viewer | null) =>
  viewer !== null &&
  (template.server.registeredById === viewer.id || template.server.verifiedOwnerId === viewer.id);
