import {
  EXPORT_LINK_PURPOSE,
  EXPORT_LINK_SECONDS,
  EXPORT_PATH,
  filterClaims,
} from '../executions/run-export.ts';
import { builder } from './builder.ts';
import { ExecutionLogFilter, toRunLogFilter } from './execution.ts';
import { findRunnableTemplate } from './template.ts';

const ExportFormat = builder.enumType('ExportFormat', {
  values: {
    CSV: {
      value: 'csv',
      description: 'RFC 4180, UTF-8, CRLF, a header row; formulas neutralised.',
    },
    NDJSON: { value: 'ndjson', description: 'One JSON object per line.' },
  } as const,
});

const ExecutionExport = builder
  .objectRef<{ url: string; path: string; expiresAt: Date }>('ExecutionExport')
  .implement({
    description:
      'A download link for one export: a short-lived token in the URL, good for this export only.',
    fields: (t) => ({
      url: t.exposeString('url', { description: 'Absolute, on the server that answered.' }),
      path: t.exposeString('path', { description: 'The same link, relative to the server.' }),
      expiresAt: t.expose('expiresAt', {
        type: 'DateTime',
        description: `Start the download before then (${EXPORT_LINK_SECONDS} s).`,
      }),
    }),
  });

builder.mutationField('createExecutionExport', (t) =>
  t.field({
    type: ExecutionExport,
    description:
      'A link that downloads a template\'s run log as the current filter selects it: every run for its owners, the viewer\'s own for anyone else. Newest first, streamed (README "Export").',
    authScopes: { signedIn: true },
    args: {
      templateId: t.arg.id({ required: true }),
      format: t.arg({ type: ExportFormat, required: true }),
      filter: t.arg({ type: ExecutionLogFilter }),
    },
    resolve: async (_root, args, context) => {
      const template = await findRunnableTemplate(context, String(args.templateId));
      const filter = toRunLogFilter(args.filter);
      const viewer = context.viewer as NonNullable<typeof context.viewer>;
      const token = await context.services.authenticator.mintLink(
        EXPORT_LINK_PURPOSE,
        {
          sub: viewer.id,
          template: template.id,
          format: args.format,
          filter: filterClaims(filter),
        },
        EXPORT_LINK_SECONDS,
      );
      const path = `${EXPORT_PATH}?token=${token}`;
      return {
        url: new URL(path, context.resourceUrl).toString(),
        path,
        expiresAt: new Date(Date.now() + EXPORT_LINK_SECONDS * 1000),
      };
    },
  }),
);
