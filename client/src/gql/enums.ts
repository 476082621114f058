export type AnalyticsGranularity =
  | 'DAY'
  | 'HOUR';

export type AnalyticsPreset =
  /** Today and the 6 days before it. */
  | 'LAST_7_DAYS'
  /** The current hour and the 23 before it. */
  | 'LAST_24_HOURS'
  | 'LAST_30_DAYS'
  | 'LAST_90_DAYS';

/** Every `extensions.code` an error of this API can carry. Clients branch on the code, never on the message. */
export type ErrorCode =
  /** Not a GraphQL request: invalid JSON or Content-Length, no query, a mutation over GET (HTTP 400 or 405), a POST body that is not JSON (HTTP 415). */
  | 'BAD_REQUEST'
  /** Invalid input; `extensions.field` names the field (`variables`, `first`, `after`, …). Also two paid runs in one operation (HTTP 400). */
  | 'BAD_USER_INPUT'
  /** Signed in, but not allowed: a template's analytics for someone who does not own it. */
  | 'FORBIDDEN'
  /** The document is not valid GraphQL syntax. */
  | 'GRAPHQL_PARSE_FAILED'
  /** The document does not validate against the schema. */
  | 'GRAPHQL_VALIDATION_FAILED'
  /** An unexpected server failure; its message is masked ("Unexpected error."). */
  | 'INTERNAL_SERVER_ERROR'
  /** Unknown template or execution (or one the viewer may not read). */
  | 'NOT_FOUND'
  /** A query ran past its time limit, or one of its database statements did: it was stopped. Ask for less (smaller pages, fewer fields). */
  | 'OPERATION_TIMEOUT'
  /** That authorization already paid for a run. */
  | 'PAYMENT_ALREADY_USED'
  /** Settlement failed after the run: the output is withheld and nothing is charged. */
  | 'PAYMENT_FAILED'
  /** The payment does not match the price, payee, network or time window, or its signature is wrong; `extensions.reason` says which. */
  | 'PAYMENT_INVALID'
  /** A priced template run without payment: HTTP 402, `extensions.x402` = the x402 PaymentRequired. */
  | 'PAYMENT_REQUIRED'
  /** The server takes no payments on the template's network. */
  | 'PAYMENT_UNAVAILABLE'
  /** The operation is over a limit checked before anything runs (HTTP 400): `extensions.limit` names it (`tokens`, `nesting`, `depth`, `aliases`, `directives`, `cost`, `nodes`), `extensions.max` its value. README "Security". */
  | 'QUERY_TOO_COMPLEX'
  /** A quota or rate limit was reached (HTTP 429 + `Retry-After`); `extensions.limit` names it and `extensions.retryAfter` gives the seconds to wait (also over WebSocket). Nothing was run, written or charged. */
  | 'RATE_LIMITED'
  /** The request body is over 1 MB (HTTP 413). */
  | 'REQUEST_ENTITY_TOO_LARGE'
  /** The database (or the server, while it shuts down) cannot take the request now; nothing was run or charged. HTTP 503 with `Retry-After`: retry then. */
  | 'SERVICE_UNAVAILABLE'
  /** A subscription fell too far behind (its connection could not keep up) and was ended: resubscribe. */
  | 'SUBSCRIPTION_OVERFLOW'
  /** This WebSocket already has as many subscriptions as one socket may hold: complete one first. */
  | 'TOO_MANY_SUBSCRIPTIONS'
  /** Signed-in only operation without a token; a bad token (HTTP 401). */
  | 'UNAUTHENTICATED';

export type ExecutionStatus =
  /** See errorMessage. Failed runs are never charged. */
  | 'FAILED'
  /** Started; the model has not answered yet. */
  | 'RUNNING'
  | 'SUCCESS';

export type ExportFormat =
  /** RFC 4180, UTF-8, CRLF, a header row; formulas neutralised. */
  | 'CSV'
  /** One JSON object per line. */
  | 'NDJSON';
