import { GraphQLError } from 'graphql';
import {
  createLogger,
  type MaskError,
  type YogaLogger,
  maskError as yogaMaskError,
} from 'graphql-yoga';
import {
  databaseUnavailableReason,
  isDatabaseUnavailable,
  isStatementTimeout,
} from '../db/unavailable.ts';
import { apiError, operationTimeout, serviceUnavailable } from '../lib/api-errors.ts';

/**
 * A database outage answered as what it is: SERVICE_UNAVAILABLE (HTTP 503 + Retry-After) instead
 * of INTERNAL_SERVER_ERROR "Unexpected error.", with one log line per refused request instead of
 * a stack trace. Used by Yoga's error masking, the context factory and graphql-ws' connection_init.
 */

/** serviceUnavailable() if `error` means the database is down (logged in one line), else null. */
export function serviceUnavailableIfDatabaseDown(error: unknown): GraphQLError | null {
  const reason = databaseUnavailableReason(error);
  if (reason === null) return null;
  console.warn(`[graphql] database unavailable, answered SERVICE_UNAVAILABLE: ${reason}`);
  return serviceUnavailable();
}

/**
 * Yoga's `maskedErrors.maskError`: Yoga's own masking, except for database outages and statements
 * stopped by the request role's statement_timeout (OPERATION_TIMEOUT, where it happened).
 */
export const maskError: MaskError = (error, message, isDev) => {
  if (isStatementTimeout(error)) {
    const timeout = operationTimeout(
      'A database statement of this operation ran past its time limit and was stopped: ask for less.',
    );
    if (!(error instanceof GraphQLError)) return timeout;
    return new GraphQLError(timeout.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: timeout.extensions,
    });
  }
  const unavailable = serviceUnavailableIfDatabaseDown(error);
  if (!unavailable) return yogaMaskError(error, message, isDev);
  if (!(error instanceof GraphQLError)) return unavailable;
  // Keep where it happened. Below a root field, that field has done its work (a mutation may
  // have run): say only that this field could not be read, with no 503 for the response.
  const nested = (error.path?.length ?? 0) > 1;
  const replacement = nested
    ? apiError(
        'SERVICE_UNAVAILABLE',
        'This field could not be read: the database is temporarily unavailable. Retry the read shortly.',
      )
    : unavailable;
  return new GraphQLError(replacement.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: replacement.extensions,
  });
};

/**
 * Yoga's logger, minus the stack trace Yoga logs for every error maskError replaced: a database
 * outage has had its line already, and would otherwise log a stack trace per request.
 */
export function loggerQuietOnDatabaseOutages(logger: YogaLogger = createLogger()): YogaLogger {
  return {
    ...logger,
    error: (...args: unknown[]) => {
      if (args.length === 1 && isDatabaseUnavailable(args[0])) return;
      if (args.length === 1 && isStatementTimeout(args[0])) {
        console.warn('[graphql] a statement ran past the request statement timeout: stopped');
        return;
      }
      logger.error(...args);
    },
  };
}
