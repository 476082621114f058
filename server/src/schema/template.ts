import { queryFromInfo } from '@pothos/plugin-prisma';
import { notFound } from '../lib/api-errors.ts';
import { isOwner } from '../templates/ownership.ts';
import {
  DEFAULT_MAX_TOKENS,
  DEFAULT_MODEL,
  DEFAULT_NETWORK,
  parseTemplateInput,
  publishTemplate,
} from '../templates/publish.ts';
import { runnableTemplateSql, toRunnableTemplate } from '../templates/template-sql.ts';
import type { TemplateVariable } from '../templates/variables.ts';
import { builder } from './builder.ts';
import type { Context } from './context.ts';
import { databaseId } from './relay/ids.ts';
import {
  after,
  countOf,
  decodeCursor,
  newestFirst,
  pageSize,
  toConnection,
} from './relay/pagination.ts';
import { User } from './user.ts';

const ownership = { server: { select: { registeredById: true, verifiedOwnerId: true } } } as const;

const TemplateVariableType = builder.objectRef<TemplateVariable>('TemplateVariable').implement({
  description: 'A {{placeholder}} of the prompt, filled in by the caller of a run.',
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    required: t.exposeBoolean('required'),
    default: t.exposeString('default', { nullable: true }),
  }),
});

export const Template = builder.prismaNode('Template', {
  id: { field: 'id' },
  // node(id) of a row the viewer may not read (RLS) is null, not an error.
  nullable: true,
  description: 'A prompt template: a paid resource that runs on Claude.',
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    prompt: t.string({
      nullable: true,
      description: "The prompt body: the owner's work, shown to its owners only.",
      select: { prompt: true, ...ownership },
      resolve: (template, _args, context) =>
        isOwner(template, context.viewer) ? template.prompt : null,
    }),
    variables: t.field({
      type: [TemplateVariableType],
      select: { variables: true },
      resolve: (template) => template.variables as unknown as TemplateVariable[],
    }),
    model: t.exposeString('model', { description: 'The Claude model a run uses.' }),
    maxTokens: t.exposeInt('maxTokens'),
    priceUsdc: t.expose('priceUsdc', { type: 'Decimal', description: 'Price of one run, USDC.' }),
    payTo: t.exposeString('payTo', { description: 'EVM address the payments go to.' }),
    network: t.exposeString('network', { description: 'CAIP-2 network, e.g. eip155:84532.' }),
    owner: t.field({
      type: User,
      select: (_args, _context, nestedSelection) => ({
        server: { select: { registeredBy: nestedSelection() } },
      }),
      resolve: (template) => template.server.registeredBy,
    }),
    viewerIsOwner: t.boolean({
      description: 'Whether the viewer owns this template (runs it free, sees every run).',
      select: ownership,
      resolve: (template, _args, context) => isOwner(template, context.viewer),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const TemplateConnection = builder.connectionObject(
  {
    type: Template,
    name: 'TemplateConnection',
    fields: (t) => ({ totalCount: t.int({ resolve: (connection) => countOf(connection) }) }),
  },
  { name: 'TemplateEdge' },
);

builder.queryFields((t) => ({
  template: t.prismaField({
    type: Template,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, context) =>
      context.db.template.findUnique({
        ...query,
        where: { id: databaseId(String(args.id), 'Template', 'id') },
      }),
  }),
  templates: t.field({
    type: TemplateConnection,
    description: 'Every published template, newest first.',
    args: { first: t.arg.int({ defaultValue: 20 }), after: t.arg.string() },
    resolve: async (_root, args, context, info) => {
      const size = pageSize(args.first);
      const rows = await context.db.template.findMany({
        ...queryFromInfo({ context, info, path: ['edges', 'node'] }),
        where: after(args.after ? decodeCursor(args.after) : null),
        orderBy: newestFirst,
        take: size + 1,
      });
      return toConnection(rows, size, Boolean(args.after), () => context.db.template.count());
    },
  }),
}));

const TemplateVariableInput = builder.inputType('TemplateVariableInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Used as {{name}} in the prompt.' }),
    description: t.string({ defaultValue: '' }),
    required: t.boolean({ defaultValue: true }),
    default: t.string({ description: 'Value of an optional variable left out of a run.' }),
  }),
});

const CreateTemplateInput = builder.inputType('CreateTemplateInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string({ defaultValue: '' }),
    prompt: t.string({
      required: true,
      description: 'Prompt body with {{variable}} placeholders.',
    }),
    variables: t.field({ type: [TemplateVariableInput], defaultValue: [] }),
    model: t.string({ defaultValue: DEFAULT_MODEL }),
    maxTokens: t.int({ defaultValue: DEFAULT_MAX_TOKENS }),
    priceUsdc: t.field({
      type: 'Decimal',
      defaultValue: '0',
      description: 'Per run, ≤ 6 decimals.',
    }),
    payTo: t.string({ description: 'EVM address that receives payments; required when priced.' }),
    network: t.string({ defaultValue: DEFAULT_NETWORK, description: 'CAIP-2, e.g. eip155:8453.' }),
  }),
});

const CreateTemplatePayload = builder
  .objectRef<{ templateId: string }>('CreateTemplatePayload')
  .implement({
    fields: (t) => ({
      template: t.prismaField({
        type: Template,
        resolve: (query, { templateId }, _args, context) =>
          context.db.template.findUniqueOrThrow({ ...query, where: { id: templateId } }),
      }),
    }),
  });

builder.mutationField('createTemplate', (t) =>
  t.field({
    type: CreateTemplatePayload,
    description: 'Publishes a template owned by the viewer.',
    authScopes: { signedIn: true },
    args: { input: t.arg({ type: CreateTemplateInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const viewer = context.viewer as NonNullable<typeof context.viewer>;
      await context.services.rateLimits.consume({
        publicationsPerUser: viewer.id,
        publicationsPerIp: context.clientAddress,
      });
      const template = parseTemplateInput(
        input,
        (network) => Boolean(context.services.payments.asset(network)),
        context.services.templatePolicy,
      );
      return { templateId: await publishTemplate(context.db, viewer, template) };
    },
  }),
);

/**
 * Loads a template for a run or a quote, with what decides who owns it, as the viewer (RLS) in
 * one statement. NOT_FOUND when unknown or not visible.
 */
export async function findRunnableTemplate(
  context: Pick<Context, 'readAsViewer'>,
  globalId: string,
) {
  const id = databaseId(globalId, 'Template', 'templateId');
  const [rows = []] = await context.readAsViewer([runnableTemplateSql(id)]);
  if (!rows[0]) throw notFound('Template');
  return toRunnableTemplate(rows[0]);
}
