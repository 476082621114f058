import { CombinedGraphQLErrors, ServerError } from '@apollo/client';
import type { GraphQLFormattedError } from 'graphql';
import type { ErrorCode } from '../gql/enums.ts';

/** The API's stable error codes (extensions.code): messages are for people, codes for code. */
export type { ErrorCode as ApiErrorCode };

function firstGraphQLError(error: unknown): GraphQLFormattedError | undefined {
  return CombinedGraphQLErrors.is(error) ? error.errors[0] : undefined;
}

export function errorCode(error: unknown): ErrorCode | undefined {
  return firstGraphQLError(error)?.extensions?.code as ErrorCode | undefined;
}

export function errorExtensions(error: unknown): Record<string, unknown> {
  return firstGraphQLError(error)?.extensions ?? {};
}

/** A sentence for the page: the server's message, or what went wrong on the way. */
export function describeError(error: unknown): string {
  if (CombinedGraphQLErrors.is(error)) {
    return error.errors.map((e) => e.message).join('; ') || 'The server reported an error.';
  }
  if (ServerError.is(error)) return `The server answered ${error.statusCode}. Try again shortly.`;
  if (error instanceof TypeError) return 'Cannot reach the server. Check your connection.';
  return error instanceof Error ? error.message : 'Something went wrong.';
}
