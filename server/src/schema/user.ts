import { builder } from './builder.ts';

export const User = builder.prismaNode('User', {
  id: { field: 'id' },
  // node(id) of a row the viewer may not read (RLS) is null, not an error.
  nullable: true,
  description: 'A person signed in with a promptmeter token.',
  fields: (t) => ({
    name: t.exposeString('name', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryField('viewer', (t) =>
  t.prismaField({
    type: User,
    nullable: true,
    description: 'The signed-in user, or null for anonymous requests.',
    resolve: (query, _root, _args, context) =>
      context.viewer
        ? context.db.user.findUnique({ ...query, where: { id: context.viewer.id } })
        : null,
  }),
);
