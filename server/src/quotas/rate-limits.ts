import { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { apiError } from '../lib/api-errors.ts';
import {
  DEFAULT_RATE_LIMITS,
  RATE_LIMITS,
  type RateLimitName,
  type RateLimitSettings,
} from './limits.ts';

/** One request's claims on the limits: each key is charged a point; refused if any is over. */
export type Claim = Partial<Record<RateLimitName, string | null>>;

export interface RateLimiter {
  /** Charges each claimed bucket a point; RATE_LIMITED (HTTP 429 + Retry-After) past a limit. */
  consume(claim: Claim): Promise<void>;
  readonly description: string;
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  limits?: Partial<RateLimitSettings>;
  /** Shared by every instance through Redis; unset: this process's memory. */
  redisUrl?: string;
  /** Keys are prefixed with it (tests sharing one Redis). */
  namespace?: string;
}

export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const limits = { ...DEFAULT_RATE_LIMITS, ...options.limits };
  const prefix = `promptmeter:${options.namespace ?? 'rl'}`;
  const redis = options.redisUrl
    ? new Redis(options.redisUrl, {
        // While Redis is away, commands fail at once and the in-memory insurance answers.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      })
    : null;
  // An outage is reported once, not per request; ioredis reconnects by itself.
  let down = false;
  redis?.on('error', (error) => {
    if (!down)
      console.warn(`[rate-limits] Redis unavailable, limiting per instance: ${error.message}`);
    down = true;
  });
  redis?.on('ready', () => {
    if (down) console.warn('[rate-limits] Redis is back: limits are shared again');
    down = false;
  });

  const limiters = new Map<RateLimitName, RateLimiterAbstract>();
  for (const name of Object.keys(RATE_LIMITS) as RateLimitName[]) {
    const points = limits[name];
    if (!points) continue;
    const duration = RATE_LIMITS[name].seconds;
    const memory = new RateLimiterMemory({ points, duration, keyPrefix: `${prefix}:${name}` });
    limiters.set(
      name,
      redis
        ? new RateLimiterRedis({
            storeClient: redis,
            points,
            duration,
            keyPrefix: `${prefix}:${name}`,
            // Redis down: each instance keeps enforcing the same limits on its own (see README).
            rejectIfRedisNotReady: true,
            insuranceLimiter: memory,
          })
        : memory,
    );
  }

  return {
    description: redis ? 'Redis (per instance while Redis is down)' : 'in memory',
    async consume(claim) {
      const charged = Object.entries(claim).filter(
        (entry): entry is [RateLimitName, string] =>
          Boolean(entry[1]) && limiters.has(entry[0] as RateLimitName),
      );
      const outcomes = await Promise.allSettled(
        charged.map(([name, key]) => (limiters.get(name) as RateLimiterAbstract).consume(key)),
      );
      let retryAfterMs = 0;
      let refused: RateLimitName | null = null;
      outcomes.forEach((outcome, index) => {
        if (outcome.status === 'fulfilled') return;
        // Not a refusal but a store failure the insurance could not absorb: let it through.
        if (!(outcome.reason instanceof RateLimiterRes)) return;
        if (outcome.reason.msBeforeNext >= retryAfterMs) {
          retryAfterMs = outcome.reason.msBeforeNext;
          refused = (charged[index] as [RateLimitName, string])[0];
        }
      });
      if (refused) throw rateLimited(refused, retryAfterMs);
    },
    async close() {
      redis?.disconnect();
    },
  };
}

export function rateLimited(limit: RateLimitName, retryAfterMs: number) {
  const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return apiError('RATE_LIMITED', `Rate limit reached (${limit}): retry in ${retryAfter} s`, {
    limit,
    retryAfter,
    http: { status: 429, headers: { 'Retry-After': String(retryAfter) } },
  });
}
