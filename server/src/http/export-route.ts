import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthError, type Authenticator } from '../auth/authenticator.ts';
import type { Database } from '../db/database.ts';
import { REQUEST_ROLE } from '../db/roles.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { EXPORT_LINK_PURPOSE, type ExportClaims, exportRuns } from '../executions/run-export.ts';
import { checkRunLogFilter, type RunLogFilter } from '../executions/run-log-filter.ts';
import { RETRY_AFTER_SECONDS } from '../lib/api-errors.ts';
import { UUID } from '../lib/uuid.ts';
import { isOwner } from '../templates/ownership.ts';
import { runnableTemplateSql, toRunnableTemplate } from '../templates/template-sql.ts';

function filterFromClaims(claims: ExportClaims['filter']): RunLogFilter {
  const date = (value: unknown) => (typeof value === 'string' ? new Date(value) : null);
  return checkRunLogFilter({
    status: (claims.status as RunLogFilter['status']) ?? null,
    callerId: (claims.callerId as string) ?? null,
    payerAddress: (claims.payerAddress as string) ?? null,
    from: date(claims.from),
    to: date(claims.to),
    paid: typeof claims.paid === 'boolean' ? claims.paid : null,
  });
}

function refuse(res: ServerResponse, status: number, message: string, headers = {}) {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(`${message}\n`);
}

/**
 * Authorised like the API, at download time: the link's viewer, through RLS, reads the template's
 * rows — all of them for its owners, their own for anyone else.
 */
export function serveExport(
  db: Pick<Database, 'runAs' | 'copyOutAs'>,
  authenticator: Authenticator,
) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return refuse(res, 405, 'Method Not Allowed', { allow: 'GET, HEAD' });
    }
    const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
    let claims: ExportClaims;
    try {
      claims = (await authenticator.verifyLink(EXPORT_LINK_PURPOSE, token)) as never;
      if (!UUID.test(claims.sub) || !UUID.test(claims.template)) throw new AuthError('claims');
      if (claims.format !== 'csv' && claims.format !== 'ndjson') throw new AuthError('format');
    } catch (error) {
      const reason = error instanceof AuthError ? error.message : 'invalid link';
      return refuse(res, 401, `Export link refused (${reason}): ask for a new one`);
    }
    const viewer = { id: claims.sub, name: null };
    let filter: RunLogFilter;
    let ownsTemplate: boolean;
    try {
      filter = filterFromClaims(claims.filter ?? {});
      const [[row] = []] = await db.runAs(REQUEST_ROLE, viewer.id, [
        runnableTemplateSql(claims.template),
      ]);
      if (!row) return refuse(res, 404, 'Template not found');
      ownsTemplate = isOwner(toRunnableTemplate(row), viewer);
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        return refuse(res, 503, 'Service unavailable: retry shortly', {
          'retry-after': String(RETRY_AFTER_SECONDS),
        });
      }
      throw error;
    }
    const csv = claims.format === 'csv';
    res.writeHead(200, {
      'content-type': csv ? 'text/csv; charset=utf-8; header=present' : 'application/x-ndjson',
      'content-disposition': `attachment; filename="runs-${claims.template}.${csv ? 'csv' : 'ndjson'}"`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    let closed = false;
    // One listener each for the whole download (not one per page: they would pile up).
    let wake: (() => void) | null = null;
    res.on('close', () => {
      closed = true;
      wake?.();
    });
    res.on('drain', () => wake?.());
    const sink = {
      get closed() {
        return closed;
      },
      async write(chunk: string | Uint8Array) {
        if (closed || res.write(chunk)) return;
        // Backpressure: the next page is read only once the client took this one.
        await new Promise<void>((resolve) => {
          wake = () => {
            wake = null;
            resolve();
          };
        });
      },
    };
    try {
      await exportRuns(
        db,
        viewer.id,
        // Owners export every run; anyone else their own (RLS would show them nothing more).
        { templateId: claims.template, callerId: ownsTemplate ? null : viewer.id, log: filter },
        claims.format,
        sink,
      );
      res.end();
    } catch (error) {
      // Headers are out: a cut connection is the only way left to say the file is incomplete.
      console.error('[export] failed mid-stream:', (error as Error).message);
      res.destroy(error as Error);
    }
  };
}
