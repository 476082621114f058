import { createAuthenticator, developmentSecret, type TokenPolicy } from './auth/authenticator.ts';
import type { Database } from './db/database.ts';
import type { Env } from './env.ts';
import { createExecutionEvents } from './executions/execution-events.ts';
import { createExecutionLog } from './executions/execution-log.ts';
import { createLiveLog } from './executions/log-feed.ts';
import { createRunCancellations } from './executions/run-cancellations.ts';
import { createRunJournal } from './executions/run-journal.ts';
import { createRunsInFlight } from './executions/runs-in-flight.ts';
import { createAnthropicModel } from './llm/anthropic.ts';
import { createOfflineModel } from './llm/offline-messages-api.ts';
import { createPaymentGate } from './payments/index.ts';
import { createRateLimiter } from './quotas/rate-limits.ts';
import type { Services } from './schema/context.ts';

/**
 * How tokens are checked: our HS256 secret (a development one outside production), and an
 * identity provider's keys when JWT_JWKS_URL is set.
 */
export function tokenPolicy(env: Env): TokenPolicy & ({ secret: string } | { jwksUrl: string }) {
  const shared = {
    ...env.tokenLimits,
    issuer: env.jwtIssuer,
    audience: env.jwtAudience,
    jwksUrl: env.jwtJwksUrl,
  };
  const secret = env.jwtSecret ?? (env.production ? undefined : developmentSecret(env.dataDir));
  if (secret) return { ...shared, secret };
  if (env.jwtJwksUrl) return { ...shared, jwksUrl: env.jwtJwksUrl };
  throw new Error('JWT_SECRET or JWT_JWKS_URL must be set');
}

/**
 * The real outside services chosen by the environment, with built-in offline defaults.
 * `instanceId` names this process in the execution log (its lease: executions/run-recovery.ts).
 */
export async function createServices(env: Env, db: Database, instanceId: string) {
  const closers: Array<() => Promise<void>> = [];
  let model: Services['model'];
  if (env.anthropicApiKey) {
    model = createAnthropicModel({
      apiKey: env.anthropicApiKey,
      baseURL: env.anthropicBaseUrl,
      maxRetries: env.anthropicMaxRetries,
      timeoutMs: env.anthropicTimeoutMs,
      deadlineMs: env.runDeadlineMs,
    });
  } else {
    const offline = await createOfflineModel({
      failWhenPromptIncludes: env.offlineFailPattern,
      slowWhenPromptIncludes: env.offlineSlowPattern,
      deadlineMs: env.runDeadlineMs,
    });
    model = offline.model;
    closers.push(() => offline.server.close());
  }
  const events = createExecutionEvents({ redisUrl: env.redisUrl });
  closers.push(() => events.close());
  const services: Services = {
    authenticator: createAuthenticator(tokenPolicy(env)),
    model,
    events,
    payments: createPaymentGate(
      {
        facilitatorUrl: env.facilitatorUrl,
        facilitatorTimeoutMs: env.facilitatorTimeoutMs,
        modelTimeoutMs: env.anthropicTimeoutMs,
      },
      db.prisma,
    ),
    executionLog: createExecutionLog(db, {
      instanceId,
      journal: createRunJournal(env.journalDir),
      events,
    }),
    runsInFlight: createRunsInFlight(),
    liveLog: createLiveLog(db, events),
    rateLimits: createRateLimiter({ limits: env.rateLimits, redisUrl: env.redisUrl }),
    templatePolicy: env.templatePolicy,
    cancellations: createRunCancellations(db),
  };
  closers.push(() => services.rateLimits.close());
  return {
    services,
    close: async () => {
      services.executionLog.close();
      services.cancellations.close();
      await Promise.allSettled(closers.map((close) => close()));
    },
  };
}
