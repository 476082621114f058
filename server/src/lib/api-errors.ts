import { GraphQLError, type GraphQLErrorExtensions } from 'graphql';

/**
 * Every `extensions.code` a client can receive, ours and those graphql-yoga sends itself, each
 * with when it is sent. Clients branch on these, never on messages. The schema publishes this
 * list as the `ErrorCode` enum (schema/errors.ts), which the client's types are generated from.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: {
    description: 'Signed-in only operation without a token; a bad token (HTTP 401).',
  },
  NOT_FOUND: { description: 'Unknown template or execution (or one the viewer may not read).' },
  FORBIDDEN: {
    description:
      "Signed in, but not allowed: a template's analytics for someone who does not own it.",
  },
  BAD_USER_INPUT: {
    description:
      'Invalid input; `extensions.field` names the field (`variables`, `first`, `after`, …). Also two paid runs in one operation (HTTP 400).',
  },
  PAYMENT_REQUIRED: {
    description:
      'A priced template run without payment: HTTP 402, `extensions.x402` = the x402 PaymentRequired.',
  },
  PAYMENT_INVALID: {
    description:
      'The payment does not match the price, payee, network or time window, or its signature is wrong; `extensions.reason` says which.',
  },
  PAYMENT_ALREADY_USED: { description: 'That authorization already paid for a run.' },
  PAYMENT_FAILED: {
    description: 'Settlement failed after the run: the output is withheld and nothing is charged.',
  },
  PAYMENT_UNAVAILABLE: {
    description: "The server takes no payments on the template's network.",
  },
  RATE_LIMITED: {
    description:
      'A quota or rate limit was reached (HTTP 429 + `Retry-After`); `extensions.limit` names it and `extensions.retryAfter` gives the seconds to wait (also over WebSocket). Nothing was run, written or charged.',
  },
  SUBSCRIPTION_OVERFLOW: {
    description:
      'A subscription fell too far behind (its connection could not keep up) and was ended: resubscribe.',
  },
  REQUEST_ENTITY_TOO_LARGE: { description: 'The request body is over 1 MB (HTTP 413).' },
  QUERY_TOO_COMPLEX: {
    description:
      'The operation is over a limit checked before anything runs (HTTP 400): `extensions.limit` names it (`tokens`, `nesting`, `depth`, `aliases`, `directives`, `cost`, `nodes`), `extensions.max` its value. README "Security".',
  },
  OPERATION_TIMEOUT: {
    description:
      'A query ran past its time limit, or one of its database statements did: it was stopped. Ask for less (smaller pages, fewer fields).',
  },
  TOO_MANY_SUBSCRIPTIONS: {
    description:
      'This WebSocket already has as many subscriptions as one socket may hold: complete one first.',
  },
  BAD_REQUEST: {
    description:
      'Not a GraphQL request: invalid JSON or Content-Length, no query, a mutation over GET (HTTP 400 or 405), a POST body that is not JSON (HTTP 415).',
  },
  GRAPHQL_PARSE_FAILED: { description: 'The document is not valid GraphQL syntax.' },
  GRAPHQL_VALIDATION_FAILED: { description: 'The document does not validate against the schema.' },
  SERVICE_UNAVAILABLE: {
    description:
      'The database (or the server, while it shuts down) cannot take the request now; nothing was run or charged. HTTP 503 with `Retry-After`: retry then.',
  },
  INTERNAL_SERVER_ERROR: {
    description: 'An unexpected server failure; its message is masked ("Unexpected error.").',
  },
} as const satisfies Record<string, { description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

// As graphql-yoga types `http`: the extensions our errors carry, for every reader of `extensions`.
declare module 'graphql' {
  interface GraphQLErrorExtensions {
    code?: ErrorCode;
    /** The input field at fault (BAD_USER_INPUT), so forms can put the message next to it. */
    field?: string;
  }
}

export function apiError(
  code: ErrorCode,
  message: string,
  extensions: GraphQLErrorExtensions = {},
) {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

export const unauthenticated = (
  message = 'Sign in to do this: send Authorization: Bearer <token>',
) => apiError('UNAUTHENTICATED', message);

/** A bad token fails the whole request, so it is also an HTTP 401. */
export const invalidToken = (reason: string) =>
  apiError('UNAUTHENTICATED', `Invalid token: ${reason}`, { http: { status: 401 } });

/** Seconds a client should wait before retrying a SERVICE_UNAVAILABLE request. */
export const RETRY_AFTER_SECONDS = 5;

/** An infrastructure fault, not a bug: HTTP 503 + Retry-After; nothing was run or charged. */
export const serviceUnavailable = (
  message = 'The service is temporarily unavailable; nothing was run or charged. Retry shortly.',
) =>
  apiError('SERVICE_UNAVAILABLE', message, {
    http: { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
  });

/** One of the operation limits (README "Security"), before any resolver runs. */
export const queryTooComplex = (limit: string, max: number, message: string) =>
  // `spec`: like GraphQL's own request errors, HTTP 400, or 200 to a client that accepts only
  // application/json (GraphQL over HTTP).
  apiError('QUERY_TOO_COMPLEX', message, { limit, max, http: { status: 400, spec: true } });

export const operationTimeout = (message: string) => apiError('OPERATION_TIMEOUT', message);
export const forbidden = (message: string) => apiError('FORBIDDEN', message);

export const notFound = (what: string) => apiError('NOT_FOUND', `${what} not found`);

/** `field` names the input field at fault, so forms can put the message next to it. */
export const badInput = (message: string, field?: string) =>
  apiError('BAD_USER_INPUT', message, field ? { field } : {});
