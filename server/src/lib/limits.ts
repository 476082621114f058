/**
 * Every limit the public API holds a client to, with its default: README "Security" lists them
 * with their environment variables (read in env.ts). Plain data, so env.ts stays light.
 */

/** What one GraphQL operation may be, over HTTP and WebSocket. */
export interface OperationLimits {
  /** Lexical tokens in the document: checked while parsing, so a huge document costs little. */
  maxTokens: number;
  /** Nesting of fields (fragments do not add to it). */
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /** operationCost(): fields, with connection pages and `nodes(ids)` as multipliers. */
  maxCost: number;
  /** Ids in one `nodes(ids)` list. */
  maxNodeIds: number;
  /** A query (not a mutation: a run has its own deadline) answers OPERATION_TIMEOUT past this. */
  operationTimeoutMs: number;
  /** PostgreSQL's statement_timeout for every statement run as the request role. */
  statementTimeoutMs: number;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxTokens: 2000,
  maxDepth: 12,
  maxAliases: 30,
  maxDirectives: 20,
  maxCost: 5000,
  maxNodeIds: 100,
  operationTimeoutMs: 10_000,
  statementTimeoutMs: 5000,
};

/** What one WebSocket may hold, and for how long. */
export interface SocketLimits {
  /** Any socket is closed (4000) this long after it opened: clients reconnect and resume. */
  maxLifetimeMs: number;
  /** Operations in flight on one socket (subscriptions, mostly); more: TOO_MANY_SUBSCRIPTIONS. */
  maxSubscriptionsPerSocket: number;
  /** Open sockets of one signed-in user on this instance; more: closed with 1008. */
  maxSocketsPerUser: number;
}

export const DEFAULT_SOCKET_LIMITS: SocketLimits = {
  maxLifetimeMs: 3_600_000,
  maxSubscriptionsPerSocket: 50,
  maxSocketsPerUser: 20,
};

/** What a token must satisfy besides its signature. */
export interface TokenLimits {
  /** `exp` is required, at most this far after `iat` (and after now). */
  maxLifetimeSeconds: number;
  /** Allowance for clocks that differ: `exp`, `nbf` and `iat` are checked with it. */
  clockSkewSeconds: number;
}

export const DEFAULT_TOKEN_LIMITS: TokenLimits = {
  maxLifetimeSeconds: 7 * 24 * 3600,
  clockSkewSeconds: 30,
};
