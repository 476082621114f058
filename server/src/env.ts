import path from 'node:path';
import {
  DEFAULT_OPERATION_LIMITS,
  DEFAULT_SOCKET_LIMITS,
  DEFAULT_TOKEN_LIMITS,
  type OperationLimits,
  type SocketLimits,
  type TokenLimits,
} from './lib/limits.ts';
import {
  DEFAULT_TEMPLATE_POLICY,
  type RateLimitSettings,
  rateLimitsFromEnv,
  type TemplatePolicy,
} from './quotas/limits.ts';

/** Every setting the server reads, parsed and validated once. See README "Configuration". */
export interface Env {
  production: boolean;
  port: number;
  host: string;
  /** PostgreSQL connection string; unset → embedded PostgreSQL (PGlite) in dataDir. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  dataDir: string;
  redisUrl: string | undefined;
  anthropicApiKey: string | undefined;
  anthropicBaseUrl: string | undefined;
  anthropicMaxRetries: number;
  anthropicTimeoutMs: number;
  /** x402 facilitator; unset → the built-in one, whose settlement is SIMULATED. */
  facilitatorUrl: string | undefined;
  /** Facilitator verify/settle deadline; a settlement without an answer by then is "unknown". */
  facilitatorTimeoutMs: number;
  /** JSON-RPC of the payment network: reconciles settlements whose outcome is unknown. */
  rpcUrl: string | undefined;
  /** Offline model only: prompts containing this text fail with 529 (for demos and e2e tests). */
  offlineFailPattern: string | undefined;
  /** Offline model only: prompts containing this text are answered after 3 s (demos, e2e). */
  offlineSlowPattern: string | undefined;
  /** Unset in development → generated once and kept in dataDir. Required in production. */
  jwtSecret: string | undefined;
  /** An identity provider's JSON Web Key Set: RS256/ES256 tokens verified with it. */
  jwtJwksUrl: string | undefined;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  tokenLimits: TokenLimits;
  operationLimits: OperationLimits;
  socketLimits: SocketLimits;
  seedDemo: boolean;
  /** A run's model call, retries and streaming included, is aborted past this. */
  runDeadlineMs: number;
  /** Instance lease: a crashed instance's runs are swept this long after its last renewal. */
  instanceLeaseMs: number;
  /** Where final states wait while the database cannot take them (crash-safe). */
  journalDir: string;
  /** A row with no instance (written before leases existed) still `running` this long is swept. */
  interruptedAfterMs: number;
  /** On SIGTERM/SIGINT, how long runs and requests in flight may take to finish. */
  shutdownGraceMs: number;
  /** Quotas and rate limits (RATE_LIMIT_*; README "Quotas and rate limits"). */
  rateLimits: RateLimitSettings;
  /** ANTHROPIC_MODELS (the models templates may use) and ANTHROPIC_MAX_TOKENS. */
  templatePolicy: TemplatePolicy;
  /** Introspection queries are answered (GRAPHQL_INTROSPECTION; default: off in production). */
  introspection: boolean;
  /** GraphiQL is served at GET /graphql (GRAPHIQL; default: off in production). */
  graphiql: boolean;
  /** Validation errors suggest names, "Did you mean …?" (GRAPHQL_SUGGESTIONS; off in production). */
  suggestions: boolean;
  /** Browser origins allowed to call the API and open WebSockets (CORS_ORIGINS); '*' for any. */
  corsOrigins: string[];
  /** Reverse proxies in front that append X-Forwarded-For (TRUST_PROXY_HOPS): per-IP limits' key. */
  trustProxyHops: number;
}

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const production = source.NODE_ENV === 'production';
  const dataDir = path.resolve(source.DATA_DIR || '.data');
  const env: Env = {
    production,
    port: int(source, 'PORT', 4000, 0, 65535),
    host: source.HOST || '::',
    databaseUrl: source.DATABASE_URL || undefined,
    databasePoolSize: int(source, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    dataDir,
    redisUrl: source.REDIS_URL || undefined,
    anthropicApiKey: source.ANTHROPIC_API_KEY || undefined,
    anthropicBaseUrl: source.ANTHROPIC_BASE_URL || undefined,
    anthropicMaxRetries: int(source, 'ANTHROPIC_MAX_RETRIES', 2, 0, 10),
    anthropicTimeoutMs: int(source, 'ANTHROPIC_TIMEOUT_MS', 300_000, 1000, 3_600_000),
    facilitatorUrl: source.X402_FACILITATOR_URL || undefined,
    facilitatorTimeoutMs: int(source, 'X402_FACILITATOR_TIMEOUT_MS', 60_000, 1000, 600_000),
    rpcUrl: source.X402_RPC_URL || undefined,
    offlineFailPattern: source.PROMPTMETER_OFFLINE_FAIL_PATTERN || undefined,
    offlineSlowPattern: source.PROMPTMETER_OFFLINE_SLOW_PATTERN || undefined,
    jwtSecret: source.JWT_SECRET || undefined,
    jwtJwksUrl: source.JWT_JWKS_URL || undefined,
    jwtIssuer: source.JWT_ISSUER || undefined,
    jwtAudience: source.JWT_AUDIENCE || undefined,
    tokenLimits: readTokenLimits(source),
    operationLimits: readOperationLimits(source),
    socketLimits: readSocketLimits(source),
    seedDemo: bool(source, 'SEED_DEMO', !production),
    runDeadlineMs: int(source, 'RUN_DEADLINE_MS', 600_000, 1000, 3_600_000),
    instanceLeaseMs: int(source, 'INSTANCE_LEASE_MS', 15_000, 1000, 600_000),
    journalDir: path.resolve(source.RUN_JOURNAL_DIR || path.join(dataDir, 'journal')),
    interruptedAfterMs: int(source, 'RUN_INTERRUPTED_AFTER_MS', 900_000, 1000, 86_400_000),
    shutdownGraceMs: int(source, 'SHUTDOWN_GRACE_MS', 30_000, 0, 3_600_000),
    rateLimits: rateLimitsFromEnv(source),
    templatePolicy: {
      models: list(source.ANTHROPIC_MODELS) ?? DEFAULT_TEMPLATE_POLICY.models,
      maxTokens: int(source, 'ANTHROPIC_MAX_TOKENS', DEFAULT_TEMPLATE_POLICY.maxTokens, 1, 64_000),
    },
    introspection: bool(source, 'GRAPHQL_INTROSPECTION', !production),
    graphiql: bool(source, 'GRAPHIQL', !production),
    suggestions: bool(source, 'GRAPHQL_SUGGESTIONS', !production),
    corsOrigins: list(source.CORS_ORIGINS) ?? [],
    trustProxyHops: int(source, 'TRUST_PROXY_HOPS', 0, 0, 10),
  };
  if (production && !env.jwtSecret && !env.jwtJwksUrl) {
    throw new Error('JWT_SECRET or JWT_JWKS_URL must be set when NODE_ENV=production');
  }
  if (env.jwtJwksUrl && !URL.canParse(env.jwtJwksUrl)) {
    throw new Error(`JWT_JWKS_URL must be a URL, got "${env.jwtJwksUrl}"`);
  }
  for (const origin of env.corsOrigins) {
    if (origin !== '*' && (!URL.canParse(origin) || new URL(origin).origin !== origin)) {
      throw new Error(`CORS_ORIGINS: "${origin}" is not an origin such as https://app.example`);
    }
  }
  if (production && env.jwtSecret && !isHighEntropy(env.jwtSecret)) {
    throw new Error(
      'JWT_SECRET looks guessable (too few distinct or random characters): use e.g. `openssl rand -base64 48`',
    );
  }
  // Settling real payments while a stand-in answers would sell the offline model's output.
  if (production && env.facilitatorUrl && !env.anthropicApiKey) {
    throw new Error(
      'ANTHROPIC_API_KEY must be set when NODE_ENV=production settles real payments (X402_FACILITATOR_URL)',
    );
  }
  // The built-in facilitator only simulates settlement: in production it would give runs away.
  if (production && !env.facilitatorUrl && !bool(source, 'X402_ALLOW_SIMULATED', false)) {
    throw new Error(
      'X402_FACILITATOR_URL must be set when NODE_ENV=production (or X402_ALLOW_SIMULATED=true)',
    );
  }
  if (env.jwtSecret && env.jwtSecret.length < 32) {
    throw new Error('JWT_SECRET must be at least 32 characters');
  }
  if (env.rpcUrl && !URL.canParse(env.rpcUrl)) {
    throw new Error(`X402_RPC_URL must be a URL, got "${env.rpcUrl}"`);
  }
  if (env.facilitatorUrl && !URL.canParse(env.facilitatorUrl)) {
    throw new Error(`X402_FACILITATOR_URL must be a URL, got "${env.facilitatorUrl}"`);
  }
  if (env.interruptedAfterMs <= env.runDeadlineMs + env.facilitatorTimeoutMs) {
    throw new Error(
      'RUN_INTERRUPTED_AFTER_MS must exceed RUN_DEADLINE_MS + X402_FACILITATOR_TIMEOUT_MS',
    );
  }
  return env;
}

function readOperationLimits(source: NodeJS.ProcessEnv): OperationLimits {
  const defaults = DEFAULT_OPERATION_LIMITS;
  return {
    maxTokens: int(source, 'GRAPHQL_MAX_TOKENS', defaults.maxTokens, 100, 1_000_000),
    maxDepth: int(source, 'GRAPHQL_MAX_DEPTH', defaults.maxDepth, 3, 1000),
    maxAliases: int(source, 'GRAPHQL_MAX_ALIASES', defaults.maxAliases, 0, 100_000),
    maxDirectives: int(source, 'GRAPHQL_MAX_DIRECTIVES', defaults.maxDirectives, 0, 100_000),
    maxCost: int(source, 'GRAPHQL_MAX_COST', defaults.maxCost, 100, 100_000_000),
    maxNodeIds: int(source, 'GRAPHQL_MAX_NODE_IDS', defaults.maxNodeIds, 1, 100_000),
    operationTimeoutMs: int(
      source,
      'OPERATION_TIMEOUT_MS',
      defaults.operationTimeoutMs,
      100,
      3_600_000,
    ),
    statementTimeoutMs: int(
      source,
      'REQUEST_STATEMENT_TIMEOUT_MS',
      defaults.statementTimeoutMs,
      100,
      3_600_000,
    ),
  };
}

function readSocketLimits(source: NodeJS.ProcessEnv): SocketLimits {
  const defaults = DEFAULT_SOCKET_LIMITS;
  return {
    maxLifetimeMs: int(source, 'WS_MAX_LIFETIME_MS', defaults.maxLifetimeMs, 1000, 2 ** 31 - 1),
    maxSubscriptionsPerSocket: int(
      source,
      'WS_MAX_SUBSCRIPTIONS_PER_SOCKET',
      defaults.maxSubscriptionsPerSocket,
      1,
      100_000,
    ),
    maxSocketsPerUser: int(
      source,
      'WS_MAX_SOCKETS_PER_USER',
      defaults.maxSocketsPerUser,
      1,
      100_000,
    ),
  };
}

function readTokenLimits(source: NodeJS.ProcessEnv): TokenLimits {
  const defaults = DEFAULT_TOKEN_LIMITS;
  return {
    maxLifetimeSeconds: int(
      source,
      'JWT_MAX_LIFETIME_SECONDS',
      defaults.maxLifetimeSeconds,
      60,
      365 * 24 * 3600,
    ),
    clockSkewSeconds: int(source, 'JWT_CLOCK_SKEW_SECONDS', defaults.clockSkewSeconds, 0, 600),
  };
}

/** A comma-separated list; undefined when unset or empty. */
function list(raw: string | undefined): string[] | undefined {
  const items = (raw ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length > 0 ? items : undefined;
}

/**
 * At least 100 bits by a character-frequency (Shannon) estimate and 12 distinct characters:
 * refuses "aaaa…", "abcabc…" and repeated words; passes random base64 or hex of 16+ bytes.
 */
export function isHighEntropy(secret: string): boolean {
  const counts = new Map<string, number>();
  for (const char of secret) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bitsPerChar = 0;
  for (const count of counts.values()) {
    const p = count / secret.length;
    bitsPerChar -= p * Math.log2(p);
  }
  return counts.size >= 12 && bitsPerChar * secret.length >= 100;
}

function int(source: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number) {
  const raw = source[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function bool(source: NodeJS.ProcessEnv, name: string, fallback: boolean) {
  const raw = source[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}
