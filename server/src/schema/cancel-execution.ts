import { setTimeout as sleep } from 'node:timers/promises';
import { toExecution } from '../executions/execution-rows.ts';
import { executionByIdSql } from '../executions/execution-sql.ts';
import type { Execution as ExecutionRow } from '../generated/prisma/client.ts';
import { badInput, notFound, unauthenticated } from '../lib/api-errors.ts';
import { builder } from './builder.ts';
import type { Context } from './context.ts';
import { Execution } from './execution.ts';
import { databaseId } from './relay/ids.ts';

/** How long cancelExecution waits for the stopped run's final row before answering. */
const WAIT_FOR_END_MS = 2000;
const RECHECK_MS = 50;

builder.mutationField('cancelExecution', (t) =>
  t.field({
    type: Execution,
    description:
      'Stops a RUNNING run of the viewer\'s, wherever it runs (any instance, streamed or not): the model request is aborted within a second and the run ends FAILED "cancelled" with the tokens used so far, amountPaid 0; a paid run is not charged and its payment can pay for another run. Returns the row once it has ended (or as it is after 2 s); a run that already ended is returned unchanged.',
    authScopes: { signedIn: true },
    args: { id: t.arg.id({ required: true, description: 'The Execution id.' }) },
    resolve: async (_root, args, context) => {
      if (!context.viewer) throw unauthenticated();
      const id = databaseId(String(args.id), 'Execution', 'id');
      let row = await readRow(context, id);
      if (row.callerId !== context.viewer.id) {
        // An owner sees every run of a template, but only its caller may stop one.
        throw badInput('Only the caller of a run can stop it.', 'id');
      }
      if (row.status !== 'running') return row;
      await context.services.cancellations.request(id, context.viewer.id);
      const deadline = Date.now() + WAIT_FOR_END_MS;
      while (row.status === 'running' && Date.now() < deadline) {
        await sleep(RECHECK_MS);
        row = await readRow(context, id);
      }
      return row;
    },
  }),
);

/** The row as the viewer may read it (RLS); NOT_FOUND when they may not. */
async function readRow(context: Context, id: string): Promise<ExecutionRow> {
  const [rows = []] = await context.readAsViewer([executionByIdSql(id)]);
  if (!rows[0]) throw notFound('Execution');
  return toExecution(rows[0]);
}
