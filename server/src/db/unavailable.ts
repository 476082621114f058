/**
 * Whether an error means the database cannot take requests right now (unreachable, restarting,
 * shutting down, out of connections) rather than a bug or a refused statement. The shapes are
 * those node-postgres and Prisma 7 (through @prisma/adapter-pg) throw when a PostgreSQL cluster
 * is stopped, crashes, restarts or is cut off; they were observed, not guessed (the tests in
 * server/test/http/database-unavailable.test.ts capture them from a real cluster):
 * - pg: the socket error itself (`connect ECONNREFUSED`, `read ECONNRESET`), a FATAL
 *   DatabaseError with its SQLSTATE (57P01 on a fast stop, 57P03 while starting or shutting
 *   down, 53300), or a plain Error ("Connection terminated unexpectedly" when the server
 *   vanishes mid-query, e.g. after a crash; "timeout exceeded when trying to connect").
 * - Prisma: PrismaClientKnownRequestError P1001 / P1017 / P2037 / P2010 / P2039 carrying
 *   `meta.driverAdapterError` (a DriverAdapterError whose `cause` is `{ kind, … }`), or pg's own
 *   Error passed through when the adapter does not recognise it.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return databaseUnavailableReason(error) !== null;
}

/** A one-line account of why the database is unavailable (for logs), or null if it is not. */
export function databaseUnavailableReason(error: unknown): string | null {
  // Breadth-first over the wrappers, bounded: cause chains may be long or cyclic.
  const queue: unknown[] = [error];
  const seen = new Set<unknown>();
  while (queue.length > 0 && seen.size < MAX_ERRORS_VISITED) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const node = current as ErrorLike;
    // One of our API errors (it has a code) speaks for itself. And an HTTP peer's failure
    // (fetch's TypeError "fetch failed", with the socket error as its cause) is not the database.
    if (node.extensions?.code || node.name === 'TypeError') continue;
    const reason = reasonOf(node);
    if (reason) return reason;
    queue.push(node.originalError, node.cause, node.meta?.driverAdapterError);
    if (Array.isArray(node.errors)) queue.push(...node.errors); // AggregateError (IPv4 + IPv6)
  }
  return null;
}

const MAX_ERRORS_VISITED = 16;

/**
 * Whether a statement was cancelled by statement_timeout (SQLSTATE 57014: the request role's
 * limit, db/roles.ts), through the same wrappers as above (pg's DatabaseError, Prisma's
 * driverAdapterError `{ kind: 'postgres', code }`).
 */
export function isStatementTimeout(error: unknown): boolean {
  const queue: unknown[] = [error];
  const seen = new Set<unknown>();
  while (queue.length > 0 && seen.size < MAX_ERRORS_VISITED) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const node = current as ErrorLike;
    if (node.code === '57014') return true;
    queue.push(node.originalError, node.cause, node.meta?.driverAdapterError);
  }
  return false;
}

type ErrorLike = {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  errorCode?: unknown;
  severity?: unknown;
  kind?: unknown;
  host?: unknown;
  port?: unknown;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
  extensions?: { code?: unknown };
  meta?: { driverAdapterError?: unknown };
};

/** Socket errors: the server is not there, or the connection to it broke. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs: class 08 (connection exception), 57P01 admin_shutdown (a fast stop), 57P02
 * crash_shutdown, 57P03 cannot_connect_now (starting up, in recovery, shutting down), 53300
 * too_many_connections.
 */
const unavailableSqlState = (code: string) => /^(08...|57P0[123]|53300)$/.test(code);

/** node-postgres' own errors when a connection ends or cannot be had in time. */
const PG_MESSAGES = new Set([
  'Connection terminated',
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
]);

/** DriverAdapterError causes (@prisma/adapter-pg) meaning no usable connection. */
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);

/**
 * Prisma codes: P1001 can't reach, P1002 timed out, P1008 socket timeout, P1017 connection
 * closed, P2024 no connection from the pool in time, P2037 too many connections.
 */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);

function reasonOf(error: ErrorLike): string | null {
  const message = typeof error.message === 'string' ? error.message : '';
  const name = typeof error.name === 'string' ? error.name : '';
  if (typeof error.kind === 'string' && ADAPTER_KINDS.has(error.kind)) {
    const where = error.host ? ` at ${error.host}${error.port ? `:${error.port}` : ''}` : '';
    return `${error.kind}${where}`;
  }
  if (name.startsWith('PrismaClient')) {
    const code = name === 'PrismaClientInitializationError' ? error.errorCode : error.code;
    if (typeof code === 'string' && PRISMA_CODES.has(code)) return `${code} ${lastLine(message)}`;
    // The pool had no connection free within the transaction's maxWait.
    if (code === 'P2028' && message.includes('Unable to start a transaction in the given time')) {
      return `${code} ${lastLine(message)}`;
    }
    return null;
  }
  if (typeof error.code === 'string') {
    if (SOCKET_CODES.has(error.code)) return message || error.code;
    // A PostgreSQL error (pg's DatabaseError, or the adapter's `postgres` cause): it has a severity.
    if (typeof error.severity === 'string' && unavailableSqlState(error.code)) {
      return `SQLSTATE ${error.code}: ${message}`;
    }
  }
  return PG_MESSAGES.has(message) ? message : null;
}

/** Prisma's messages start with the invocation's source frame; the cause is the last line. */
const lastLine = (message: string) => message.trim().split('\n').at(-1)?.trim() ?? message.trim();
