import { GraphQLError } from 'graphql';

/**
 * The stable `extensions.code` values of the API (documented in the README). Clients branch on
 * these, never on messages.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'PAYMENT_REQUIRED'
  | 'PAYMENT_INVALID'
  | 'PAYMENT_ALREADY_USED'
  | 'PAYMENT_FAILED'
  | 'PAYMENT_UNAVAILABLE';

export function apiError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
) {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

export const unauthenticated = (
  message = 'Sign in to do this: send Authorization: Bearer <token>',
) => apiError('UNAUTHENTICATED', message);

/** A bad token fails the whole request, so it is also an HTTP 401. */
export const invalidToken = (reason: string) =>
  apiError('UNAUTHENTICATED', `Invalid token: ${reason}`, { http: { status: 401 } });

export const notFound = (what: string) => apiError('NOT_FOUND', `${what} not found`);

/** `field` names the input field at fault, so forms can put the message next to it. */
export const badInput = (message: string, field?: string) =>
  apiError('BAD_USER_INPUT', message, field ? { field } : {});
