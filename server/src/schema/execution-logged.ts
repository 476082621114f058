import { changesPageOf } from '../executions/execution-rows.ts';
import { changesAfterSql } from '../executions/execution-sql.ts';
import { decodePosition, type LogPosition } from '../executions/log-position.ts';
import { logStream } from '../executions/log-stream.ts';
import { badInput, unauthenticated } from '../lib/api-errors.ts';
import { builder } from './builder.ts';
import type { Context } from './context.ts';
import { Execution } from './execution.ts';
import { findRunnableTemplate } from './template.ts';

/** Rows read per round trip while catching up. */
const CATCH_UP_PAGE = 100;

builder.subscriptionField('executionLogged', (t) =>
  t.field({
    type: Execution,
    description:
      'Fires for each change of a run of the template that the viewer may read: when it starts (RUNNING), when it reaches its final state, and if that state is later corrected (a run swept as "interrupted" whose journaled result lands). Each event is the row as it is then; merge by id. With `after` (a `logPosition` from an earlier event or query), first delivers every row whose latest change came after that position, in position order, then goes on live: nothing missed, nothing twice. Without it, starts live.',
    authScopes: { signedIn: true },
    args: {
      templateId: t.arg.id({ required: true }),
      after: t.arg.string({
        required: false,
        description: 'Resume after this `Execution.logPosition`.',
      }),
    },
    subscribe: async (_root, args, context) => {
      // authScopes guard `resolve`; a subscription must be refused before it starts listening.
      if (!context.viewer) throw unauthenticated();
      const after = args.after ? decodePosition(args.after) : null;
      if (args.after && !after) throw badInput('Not a log position of this server.', 'after');
      const template = await findRunnableTemplate(context, String(args.templateId));
      // The template's feed on this instance reads each change once and asks the database which
      // subscribed viewers may read it (RLS decides, log-feed.ts); this stream reads on its own,
      // as its viewer, only to catch up. Streams of one viewer with the same document and
      // variables share one stream (shared-subscriptions.ts).
      return templateLog(context, template.id, context.viewer.id, after);
    },
    resolve: (row) => row,
  }),
);

/**
 * The stream lives as long as its subscription: it keeps what is named here (ids, the feed, the
 * viewer's read), not the operation's context or the template's row. Methods, not arrow
 * properties: a named function expression costs a property dictionary per instance under
 * esbuild's keepNames (tsx, the server bundle).
 */
function templateLog(
  context: Context,
  templateId: string,
  viewerId: string,
  after: LogPosition | null,
) {
  const { liveLog } = context.services;
  const { readAsViewer } = context;
  return logStream({
    join(onBatch) {
      return liveLog.join(templateId, viewerId, onBatch);
    },
    after,
    pageSize: CATCH_UP_PAGE,
    async read(position) {
      const [rows = []] = await readAsViewer([
        changesAfterSql(templateId, position, CATCH_UP_PAGE),
      ]);
      return changesPageOf(rows);
    },
  });
}
