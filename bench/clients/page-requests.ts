import { createAuthenticator } from '../../server/src/testing.ts';
import { ACTORS, HOT_TEMPLATE } from '../dataset/actors.ts';
import type { Dataset } from '../dataset/dataset.ts';
import { JWT_SECRET } from '../harness/config.ts';
import { type HttpTarget, post } from '../harness/load.ts';
import { byServer, type ServerKind, type ServerProcess } from '../harness/processes.ts';

export interface Position {
  createdAt: Date;
  id: string;
}

const FIELDS =
  'status errorMessage inputTokens outputTokens amountPaid paymentSignature network executionTimeMs createdAt';

/** promptmeter's operation (the floor answers the same operation names with the same JSON). */
const promptmeterPage = (
  count: boolean,
) => `query ${count ? 'PageWithCount' : 'Page'}($templateId: ID!, $first: Int, $after: String) {
  myExecutions(templateId: $templateId, first: $first, after: $after) {
    edges { cursor node { id ${FIELDS} } }
    pageInfo { hasNextPage endCursor }${count ? ' totalCount' : ''}
  }
}`;

/** The same page from PostGraphile's generated schema: condition + orderBy on the table. */
const postgraphilePage = (
  count: boolean,
) => `query ${count ? 'PageWithCount' : 'Page'}($templateId: UUID!, $callerId: UUID!, $first: Int, $after: Cursor) {
  allX402PromptTemplateUsageLogs(
    condition: { templateId: $templateId, callerId: $callerId }
    orderBy: [CREATED_AT_DESC, ROW_ID_DESC]
    first: $first
    after: $after
  ) {
    edges { cursor node { rowId ${FIELDS} } }
    pageInfo { hasNextPage endCursor }${count ? ' totalCount' : ''}
  }
}`;

export const hotCallerToken = () =>
  createAuthenticator(JWT_SECRET).mint({ sub: ACTORS.hotCaller, name: 'Bench Hot Caller' }, '1d');

export const promptmeterCursor = (position: Position) =>
  Buffer.from(`${position.createdAt.getTime()}:${position.id}`).toString('base64url');

/**
 * PostGraphile's cursor is base64 JSON [orderBy digest, created_at, id]; the digest is taken from
 * a cursor it issued, the timestamp written as PostgreSQL prints it to PostGraphile.
 */
export function postgraphileCursor(issued: string, position: Position) {
  const [digest] = JSON.parse(Buffer.from(issued, 'base64').toString());
  const timestamp = position.createdAt.toISOString().replace('Z', '000+00:00');
  return Buffer.from(JSON.stringify([digest, timestamp, position.id])).toString('base64');
}

export interface PageRequest {
  count: boolean;
  /** Keyset position to start after; per server, its own cursor format. */
  after?: { promptmeter: string; postgraphile: string };
  first?: number;
}

export function pageTarget(
  server: ServerKind,
  url: string,
  token: string,
  request: PageRequest,
): HttpTarget {
  const first = request.first ?? 20;
  const body =
    server === 'postgraphile'
      ? {
          operationName: request.count ? 'PageWithCount' : 'Page',
          query: postgraphilePage(request.count),
          variables: {
            templateId: HOT_TEMPLATE,
            callerId: ACTORS.hotCaller,
            first,
            after: request.after?.postgraphile ?? null,
          },
        }
      : {
          operationName: request.count ? 'PageWithCount' : 'Page',
          query: promptmeterPage(request.count),
          variables: {
            templateId: Buffer.from(`Template:${HOT_TEMPLATE}`).toString('base64'),
            first,
            after: request.after?.promptmeter ?? null,
          },
        };
  return {
    url: `${url}/graphql`,
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  };
}

export interface NormalPage {
  rows: Array<Record<string, unknown>>;
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount?: number;
}

interface PageNode {
  id?: string;
  rowId?: string;
  status: string;
  errorMessage: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  amountPaid: string;
  paymentSignature: string | null;
  network: string | null;
  executionTimeMs: number | null;
  createdAt: string;
}

/** One page in a server-neutral form, so the three answers can be compared field by field. */
export function normalise(server: ServerKind, text: string): NormalPage {
  const json = JSON.parse(text);
  if (json.errors) throw new Error(`${server}: ${JSON.stringify(json.errors)}`);
  const connection =
    server === 'postgraphile' ? json.data.allX402PromptTemplateUsageLogs : json.data.myExecutions;
  const rows = connection.edges.map(({ node }: { node: PageNode }) => ({
    id:
      server === 'postgraphile'
        ? node.rowId
        : Buffer.from(node.id ?? '', 'base64')
            .toString()
            .replace(/^Execution:/, ''),
    status: String(node.status).toLowerCase(),
    errorMessage: node.errorMessage,
    inputTokens: node.inputTokens,
    outputTokens: node.outputTokens,
    amountPaid: Number(node.amountPaid),
    paymentSignature: node.paymentSignature,
    network: node.network,
    executionTimeMs: node.executionTimeMs,
    createdAt: Date.parse(node.createdAt),
  }));
  return {
    rows,
    hasNextPage: connection.pageInfo.hasNextPage,
    endCursor: connection.pageInfo.endCursor,
    ...(connection.totalCount === undefined ? {} : { totalCount: connection.totalCount }),
  };
}

export type Servers = Record<ServerKind, ServerProcess>;
export type PageRequests = Awaited<ReturnType<typeof buildPageRequests>>;

/** The page requests for each server, with each server's own cursor for the deep position. */
export async function buildPageRequests(servers: Servers, dataset: Dataset) {
  const token = await hotCallerToken();
  // PostGraphile's cursors carry a digest of the ordering: take it from a cursor it issued.
  const probe = await post(
    pageTarget('postgraphile', servers.postgraphile.url, token, { count: false, first: 1 }),
  );
  const issued = normalise('postgraphile', probe.text).endCursor ?? '';
  const deepAfter = {
    promptmeter: promptmeterCursor(dataset.deep),
    postgraphile: postgraphileCursor(issued, dataset.deep),
  };
  const target = (server: ServerKind, request: PageRequest) =>
    pageTarget(server, servers[server].url, token, request);
  const perServer = (request: PageRequest) => byServer((server) => target(server, request));
  return {
    token,
    target,
    first: perServer({ count: false }),
    deep: perServer({ count: false, after: deepAfter }),
    withCount: perServer({ count: true }),
  };
}
