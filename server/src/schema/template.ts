import { queryFromInfo } from '@pothos/plugin-prisma';
import { badInput, notFound } from '../errors.ts';
import { isOwner } from '../runs/payment-gate.ts';
import { checkDeclaredVariables, type TemplateVariable } from '../runs/variables.ts';
import { builder } from './builder.ts';
import { databaseId } from './ids.ts';
import { after, countOf, decodeCursor, newestFirst, pageSize, toConnection } from './pagination.ts';
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

export const DEFAULT_MODEL = 'claude-sonnet-5';
export const DEFAULT_NETWORK = 'eip155:84532';
const ZERO_ADDRESS = `0x${'0'.repeat(40)}`;

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
    maxTokens: t.int({ defaultValue: 1024 }),
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
      const viewerId = context.viewer?.id as string;
      const name = input.name.trim();
      if (name.length < 1 || name.length > 200)
        throw badInput('name must be 1-200 characters', 'name');
      if ((input.description ?? '').length > 5000) {
        throw badInput('description must be at most 5000 characters', 'description');
      }
      if (input.prompt.trim().length < 1 || input.prompt.length > 100_000) {
        throw badInput('prompt must be 1-100000 characters', 'prompt');
      }
      const maxTokens = input.maxTokens ?? 1024;
      if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > 64_000) {
        throw badInput('maxTokens must be between 1 and 64000', 'maxTokens');
      }
      const model = input.model ?? DEFAULT_MODEL;
      if (!/^[A-Za-z0-9][A-Za-z0-9.\-_@]{0,99}$/.test(model))
        throw badInput('model is not a model name', 'model');
      const price = input.priceUsdc ?? '0';
      if (!/^\d{1,4}(\.\d{1,6})?$/.test(price)) {
        throw badInput(
          'priceUsdc must be between 0 and 9999.999999 with at most 6 decimals',
          'priceUsdc',
        );
      }
      const priced = !/^0+(\.0+)?$/.test(price);
      const payTo = input.payTo ?? (priced ? null : ZERO_ADDRESS);
      if (!payTo || !/^0x[0-9a-fA-F]{40}$/.test(payTo)) {
        throw badInput(
          'payTo must be an EVM address (0x + 40 hex digits) for a priced template',
          'payTo',
        );
      }
      const network = input.network ?? DEFAULT_NETWORK;
      if (!/^eip155:\d{1,20}$/.test(network))
        throw badInput('network must be CAIP-2 like eip155:8453', 'network');
      // A priced template nobody could pay for would only fail at run time: refuse it now.
      if (priced && !context.services.payments.asset(network)) {
        throw badInput(`This server takes no payments on ${network}`, 'network');
      }
      const variables = (input.variables ?? []).map((variable) => ({
        name: variable.name,
        description: variable.description ?? '',
        required: variable.required ?? true,
        default: variable.default ?? null,
      }));
      checkDeclaredVariables(input.prompt, variables);

      // Written as the viewer: RLS only lets them publish on servers they own.
      const server =
        (await context.db.server.findFirst({
          where: { registeredById: viewerId },
          orderBy: { createdAt: 'asc' },
          select: { id: true },
        })) ??
        (await context.db.server.create({
          data: { name: `${context.viewer?.name ?? 'My'} templates`, registeredById: viewerId },
          select: { id: true },
        }));
      const template = await context.db.template.create({
        data: {
          serverId: server.id,
          name,
          description: input.description ?? '',
          prompt: input.prompt,
          variables,
          model,
          maxTokens,
          priceUsdc: price,
          payTo,
          network,
        },
        select: { id: true },
      });
      return { templateId: template.id };
    },
  }),
);

/** Loads a template for a run, with what decides who owns it. NOT_FOUND when unknown. */
export async function findRunnableTemplate(
  db: import('../generated/prisma/client.ts').PrismaClient,
  globalId: string,
) {
  const template = await db.template.findUnique({
    where: { id: databaseId(globalId, 'Template', 'templateId') },
    include: ownership,
  });
  if (!template) throw notFound('Template');
  return template;
}
