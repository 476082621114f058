import { filter, map, pipe } from 'graphql-yoga';
import { toExecution } from '../executions/execution-rows.ts';
import { executionByIdSql } from '../executions/execution-sql.ts';
import { unauthenticated } from '../lib/api-errors.ts';
import { builder } from './builder.ts';
import { Execution } from './execution.ts';
import { findRunnableTemplate } from './template.ts';

builder.subscriptionField('executionLogged', (t) =>
  t.field({
    type: Execution,
    description: 'Fires when a run of the template that the viewer may read reaches a final state.',
    authScopes: { signedIn: true },
    args: { templateId: t.arg.id({ required: true }) },
    subscribe: async (_root, args, context) => {
      // authScopes guard `resolve`; a subscription must be refused before it starts listening.
      if (!context.viewer) throw unauthenticated();
      const template = await findRunnableTemplate(context, String(args.templateId));
      // Events carry ids only: each is re-read as this subscriber, so RLS decides who sees it.
      // Subscriptions of one viewer with the same document share this read and its execution
      // (shared-subscriptions.ts). A failed read skips the event, not the subscription.
      return pipe(
        context.services.events.subscribe(template.id),
        map(async (event) => {
          try {
            const [rows = []] = await context.readAsViewer([executionByIdSql(event.id)]);
            return rows[0] ? toExecution(rows[0]) : null;
          } catch (error) {
            console.error(
              `[executionLogged] re-reading run ${event.id} failed:`,
              (error as Error).message,
            );
            return null;
          }
        }),
        filter((row) => row !== null),
      );
    },
    resolve: (row) => row as NonNullable<typeof row>,
  }),
);
