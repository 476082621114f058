import { queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import { toExecution, totalOf } from '../executions/execution-rows.ts';
import {
  type ExecutionFilter,
  executionCountSql,
  executionPageSql,
} from '../executions/execution-sql.ts';
import { encodePosition } from '../executions/log-position.ts';
import { checkRunLogFilter, type RunLogFilter, runLogWhere } from '../executions/run-log-filter.ts';
import type { Execution as ExecutionRow } from '../generated/prisma/client.ts';
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
import { selectedFields } from './relay/selection.ts';
import { Template } from './template.ts';
import { User } from './user.ts';

export const ExecutionStatus = builder.enumType('ExecutionStatus', {
  values: {
    RUNNING: { value: 'running', description: 'Started; the model has not answered yet.' },
    SUCCESS: { value: 'success' },
    FAILED: { value: 'failed', description: 'See errorMessage. Failed runs are never charged.' },
  } as const,
});

export const Execution = builder.prismaNode('Execution', {
  name: 'Execution',
  id: { field: 'id' },
  // node(id) of a row the viewer may not read (RLS) is null, not an error.
  nullable: true,
  description: 'One run of a template: its execution-log row.',
  fields: (t) => ({
    // Loaded with the row when a query selects them; otherwise by id, so that a row not read
    // through a query (a run's own result, an anonymous payer's) still resolves them.
    template: t.relation('template', {
      type: Template,
      resolve: (query, row, _args, context) =>
        context.db.template.findUniqueOrThrow({ ...query, where: { id: row.templateId } }),
    }),
    caller: t.relation('caller', {
      type: User,
      nullable: true,
      description: 'Null for anonymous wallet payers.',
      resolve: (query, row, _args, context) =>
        row.callerId ? context.db.user.findUnique({ ...query, where: { id: row.callerId } }) : null,
    }),
    payerAddress: t.exposeString('payerAddress', { nullable: true }),
    status: t.field({ type: ExecutionStatus, resolve: (row) => row.status as 'running' }),
    errorMessage: t.exposeString('errorMessage', { nullable: true }),
    inputTokens: t.exposeInt('inputTokens', { nullable: true }),
    outputTokens: t.exposeInt('outputTokens', { nullable: true }),
    amountPaid: t.expose('amountPaid', {
      type: 'Decimal',
      description: 'USDC charged; "0" if none.',
    }),
    paymentSignature: t.exposeString('paymentSignature', {
      nullable: true,
      description: "A paid run's EIP-3009 signature (what the payer signed).",
    }),
    paymentTransaction: t.exposeString('paymentTransaction', {
      nullable: true,
      description:
        'The settlement transaction of a paid run; "simulated:…" when the server settles offline.',
    }),
    network: t.exposeString('network', { nullable: true }),
    executionTimeMs: t.exposeInt('executionTimeMs', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    logPosition: t.string({
      description:
        "Opaque: where this row's latest change sits in its template's live history. Pass it as `executionLogged(after:)` to resume after it.",
      // Not `select`: a row that is not a Prisma result (a stream's, a page's) would be re-read
      // for it, and pair a newer position with an older state.
      resolve: (row) => encodePosition({ xid: row.logXid, id: row.id }),
    }),
  }),
});

const ExecutionConnection = builder.connectionObject(
  {
    type: Execution,
    name: 'ExecutionConnection',
    fields: (t) => ({
      totalCount: t.int({ resolve: (connection) => countOf(connection) }),
    }),
  },
  { name: 'ExecutionEdge' },
);

// Execution fields that load another table; every other field resolves from the row's columns.
const EXECUTION_RELATIONS = ['template', 'caller'];

/**
 * A keyset page of the executions the viewer may read (RLS) that match `filter`, newest first.
 * A page of columns only (what history views ask for) is one round trip on the driver, with the
 * count if `totalCount` is selected; a page that selects relations loads them with its rows
 * through Prisma. Either way `totalCount` is exact.
 */
async function executionPage(
  context: Context,
  info: GraphQLResolveInfo,
  filter: ExecutionFilter,
  args: { first?: number | null; after?: string | null },
) {
  const size = pageSize(args.first);
  const position = args.after ? decodeCursor(args.after) : null;
  const nodeFields = selectedFields(info, ['edges', 'node']);
  const countSql = executionCountSql(filter);
  let rows: ExecutionRow[];
  let counted: Promise<number> | undefined;
  if (EXECUTION_RELATIONS.some((name) => nodeFields.has(name))) {
    rows = await context.db.execution.findMany({
      ...queryFromInfo({ context, info, path: ['edges', 'node'] }),
      where: {
        templateId: filter.templateId,
        ...(filter.callerId === null ? {} : { callerId: filter.callerId }),
        // AND: the filter's and the cursor's createdAt bounds must both hold.
        AND: [runLogWhere(filter.log), after(position)],
      },
      orderBy: newestFirst,
      take: size + 1,
    });
  } else {
    const statements = [executionPageSql(filter, size + 1, position)];
    if (selectedFields(info, []).has('totalCount')) statements.push(countSql);
    const [pageRows = [], countRows] = await context.readAsViewer(statements);
    rows = pageRows.map(toExecution);
    if (countRows) counted = Promise.resolve(totalOf(countRows));
  }
  const totalCount = () =>
    counted ?? context.readAsViewer([countSql]).then(([countRows = []]) => totalOf(countRows));
  return toConnection(rows, size, Boolean(args.after), totalCount);
}

builder.queryField('myExecutions', (t) =>
  t.field({
    type: ExecutionConnection,
    description: "The viewer's runs of a template, newest first.",
    authScopes: { signedIn: true },
    args: {
      templateId: t.arg.id({ required: true }),
      first: t.arg.int({ defaultValue: 20, description: 'Page size, 1-100.' }),
      after: t.arg.string({ description: 'endCursor of the previous page.' }),
    },
    resolve: (_root, args, context, info) =>
      executionPage(
        context,
        info,
        {
          templateId: databaseId(String(args.templateId), 'Template', 'templateId'),
          callerId: context.viewer?.id as string,
        },
        args,
      ),
  }),
);

export const ExecutionLogFilter = builder.inputType('ExecutionLogFilter', {
  description: 'Narrows a run log; every field given must match. Also what an export selects.',
  fields: (t) => ({
    status: t.field({ type: ExecutionStatus }),
    callerId: t.id({ description: 'A signed-in caller (User id).' }),
    payerAddress: t.string({ description: "A payer's wallet address, any case." }),
    from: t.field({ type: 'DateTime', description: 'Runs started at or after.' }),
    to: t.field({ type: 'DateTime', description: 'Runs started before.' }),
    paid: t.boolean({ description: 'true: charged runs only; false: free runs only.' }),
  }),
});

/** The GraphQL filter as the log's filter; BAD_USER_INPUT names the field at fault. */
export function toRunLogFilter(input: typeof ExecutionLogFilter.$inferInput | null | undefined) {
  if (!input) return undefined;
  return checkRunLogFilter({
    status: (input.status as RunLogFilter['status']) ?? null,
    callerId: input.callerId ? databaseId(String(input.callerId), 'User', 'callerId') : null,
    payerAddress: input.payerAddress ?? null,
    from: input.from ?? null,
    to: input.to ?? null,
    paid: input.paid ?? null,
  });
}

builder.prismaObjectField(Template, 'executions', (t) =>
  t.field({
    type: ExecutionConnection,
    description:
      'Every run of this template for its owners (the run log), newest first; others see their own. `totalCount` is exact for the filter.',
    authScopes: { signedIn: true },
    args: {
      first: t.arg.int({ defaultValue: 20 }),
      after: t.arg.string(),
      filter: t.arg({ type: ExecutionLogFilter }),
    },
    select: { id: true },
    resolve: (template, args, context, info) =>
      executionPage(
        context,
        info,
        { templateId: template.id, callerId: null, log: toRunLogFilter(args.filter) },
        args,
      ),
  }),
);
