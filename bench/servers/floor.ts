/**
 * (F) The floor: plain node:http + pg, no GraphQL layer. It sends the message promptmeter sends
 * for a history page (the app's own SQL builders and pipeline: role + viewer, page, count, in one
 * round trip)
 * and answers with byte-for-byte the JSON promptmeter answers for the bench's page operations.
 * Whatever promptmeter spends beyond this is its own overhead.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import {
  executionCountSql,
  executionPageSql,
  REQUEST_ROLE,
  runAsStatements,
  runPipelined,
} from '../../server/src/testing.ts';
import { ready } from './child.ts';
import { verifyBearer } from './jwt.ts';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
});
const secret = process.env.JWT_SECRET ?? '';

interface Row {
  id: string;
  status: string;
  error_message: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  amount_paid: string;
  payment_signature: string | null;
  network: string | null;
  execution_time_ms: number | null;
  created_at: Date;
}

/** Decimal as promptmeter prints it: plain notation, no trailing zeros ("0", "0.01"). */
const decimal = (value: string) => (value.includes('.') ? value.replace(/\.?0+$/, '') : value);
const cursorOf = (row: Row) =>
  Buffer.from(`${row.created_at.getTime()}:${row.id}`).toString('base64url');

function page(rows: Row[], size: number, totalCount: number | null) {
  const edges = rows.slice(0, size).map((row) => ({
    cursor: cursorOf(row),
    node: {
      id: Buffer.from(`Execution:${row.id}`).toString('base64'),
      status: row.status.toUpperCase(),
      errorMessage: row.error_message,
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      amountPaid: decimal(row.amount_paid),
      paymentSignature: row.payment_signature,
      network: row.network,
      executionTimeMs: row.execution_time_ms,
      createdAt: row.created_at.toISOString(),
    },
  }));
  const connection: Record<string, unknown> = {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
  };
  if (totalCount !== null) connection.totalCount = totalCount;
  return { data: { myExecutions: connection } };
}

async function myExecutions(viewer: string, variables: Record<string, unknown>, count: boolean) {
  const [typename, templateId] = Buffer.from(String(variables.templateId), 'base64')
    .toString()
    .split(':');
  if (typename !== 'Template' || !templateId) throw new Error('bad templateId');
  const size = Number(variables.first ?? 20);
  const after = variables.after ? Buffer.from(String(variables.after), 'base64url').toString() : '';
  const [millis, afterId] = after.split(':');
  const position = after ? { createdAt: new Date(Number(millis)), id: String(afterId) } : null;
  const filter = { templateId, callerId: viewer };
  const statements = [executionPageSql(filter, size + 1, position)];
  if (count) statements.push(executionCountSql(filter));
  // promptmeter's pipeline: role + viewer, the page, the count (prepared statements) — one round
  // trip, one transaction.
  const results = await runPipelined(pool, runAsStatements(REQUEST_ROLE, viewer, statements));
  const rows = results[1] as unknown as Row[];
  return page(rows, size, count ? Number(results[2]?.[0]?.total ?? 0) : null);
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const viewer = verifyBearer(req.headers.authorization, secret);
  if (req.method !== 'POST' || req.url !== '/graphql' || !viewer) {
    res.writeHead(viewer ? 404 : 401).end();
    return;
  }
  // The floor understands exactly the bench's two page operations, by operation name.
  const { operationName, variables } = JSON.parse(Buffer.concat(chunks).toString());
  const body = JSON.stringify(
    await myExecutions(viewer, variables, operationName === 'PageWithCount'),
  );
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ message: (error as Error).message }] }));
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  ready(`http://127.0.0.1:${port}`, {
    stop: async () => {
      server.closeAllConnections();
      server.close();
      await pool.end();
    },
  });
});
