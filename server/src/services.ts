import { createAuthenticator, developmentSecret } from './auth/authenticator.ts';
import type { Database } from './db/database.ts';
import type { Env } from './env.ts';
import { createExecutionEvents } from './executions/execution-events.ts';
import { createExecutionLog } from './executions/execution-log.ts';
import { createRunCancellations } from './executions/run-cancellations.ts';
import { createRunJournal } from './executions/run-journal.ts';
import { createRunsInFlight } from './executions/runs-in-flight.ts';
import { createAnthropicModel } from './llm/anthropic.ts';
import { createOfflineModel } from './llm/offline-messages-api.ts';
import { createPaymentGate } from './payments/index.ts';
import type { Services } from './schema/context.ts';

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
    authenticator: createAuthenticator(env.jwtSecret ?? developmentSecret(env.dataDir)),
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
    cancellations: createRunCancellations(db),
  };
  return {
    services,
    close: async () => {
      services.executionLog.close();
      services.cancellations.close();
      await Promise.allSettled(closers.map((close) => close()));
    },
  };
}
