// The operator's limits, read by env.ts: no dependencies, so the process starts light.

/**
 * Every limit, as points per window. 0 turns one off. Defaults are far above what the UI, the
 * e2e tests and the test suite do (see README "Quotas and rate limits").
 */
export const RATE_LIMITS = {
  /** Runs by one signed-in user (anonymous payers: by IP in the same bucket). */
  runsPerUser: { points: 120, seconds: 60, env: 'RATE_LIMIT_RUNS_PER_USER_PER_MINUTE' },
  /** Runs from one client IP address, whoever signs them. */
  runsPerIp: { points: 600, seconds: 60, env: 'RATE_LIMIT_RUNS_PER_IP_PER_MINUTE' },
  /** Free runs (owners' own, and free templates) of one template: the operator's model budget. */
  freeRunsPerTemplate: {
    points: 300,
    seconds: 60,
    env: 'RATE_LIMIT_FREE_RUNS_PER_TEMPLATE_PER_MINUTE',
  },
  /** Free runs by one user in a day. */
  freeRunsPerUserPerDay: {
    points: 2000,
    seconds: 86_400,
    env: 'RATE_LIMIT_FREE_RUNS_PER_USER_PER_DAY',
  },
  /** Paid runs of one payer address (anonymous payers have no user). */
  runsPerPayer: { points: 120, seconds: 60, env: 'RATE_LIMIT_RUNS_PER_PAYER_PER_MINUTE' },
  /** Templates published by one user. */
  publicationsPerUser: {
    points: 60,
    seconds: 3600,
    env: 'RATE_LIMIT_PUBLICATIONS_PER_USER_PER_HOUR',
  },
  /** Templates published from one client IP address. */
  publicationsPerIp: { points: 300, seconds: 3600, env: 'RATE_LIMIT_PUBLICATIONS_PER_IP_PER_HOUR' },
} as const;

export type RateLimitName = keyof typeof RATE_LIMITS;
export type RateLimitSettings = Record<RateLimitName, number>;

export const DEFAULT_RATE_LIMITS = Object.fromEntries(
  Object.entries(RATE_LIMITS).map(([name, limit]) => [name, limit.points]),
) as RateLimitSettings;

/** What the operator lets templates use (ANTHROPIC_MODELS, ANTHROPIC_MAX_TOKENS). */
export interface TemplatePolicy {
  models: readonly string[];
  /** The most output tokens a template may ask for; runs are also capped to it. */
  maxTokens: number;
}

/** The default model of a template, and the built-in allow-list around it. */
export const DEFAULT_MODEL = 'claude-sonnet-5';
export const DEFAULT_TEMPLATE_POLICY: TemplatePolicy = {
  models: [DEFAULT_MODEL, 'claude-haiku-4-5'],
  maxTokens: 4096,
};

/** The limits set in the environment (RATE_LIMIT_*), over the defaults. */
export function rateLimitsFromEnv(source: NodeJS.ProcessEnv): RateLimitSettings {
  const limits = { ...DEFAULT_RATE_LIMITS };
  for (const [name, limit] of Object.entries(RATE_LIMITS) as Array<
    [RateLimitName, (typeof RATE_LIMITS)[RateLimitName]]
  >) {
    const raw = source[limit.env];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 1_000_000_000) {
      throw new Error(
        `${limit.env} must be an integer between 0 (off) and 1000000000, got "${raw}"`,
      );
    }
    limits[name] = value;
  }
  return limits;
}
