import type { Authenticator, Viewer } from '../auth/authenticator.ts';
import type { SqlText } from '../db/sql.ts';
import type { ExecutionEvents } from '../executions/execution-events.ts';
import type { ExecutionLog } from '../executions/execution-log.ts';
import type { LiveLog } from '../executions/log-feed.ts';
import type { RunCancellations } from '../executions/run-cancellations.ts';
import type { RunsInFlight } from '../executions/runs-in-flight.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { ModelClient } from '../llm/types.ts';
import type { PaymentGate } from '../payments/payment-gate.ts';
import type { TemplatePolicy } from '../quotas/limits.ts';
import type { RateLimiter } from '../quotas/rate-limits.ts';

/** The app's outside services, each behind one narrow interface. */
export interface Services {
  authenticator: Authenticator;
  model: ModelClient;
  events: ExecutionEvents;
  payments: PaymentGate;
  executionLog: ExecutionLog;
  /** The templates' live history on this instance: one feed per followed template. */
  liveLog: LiveLog;
  /** Runs being executed here; draining while the server shuts down. */
  runsInFlight: RunsInFlight;
  /** Quotas and rate limits of runs and publication (quotas/rate-limits.ts). */
  rateLimits: RateLimiter;
  /** The models templates may use and the most tokens a run may produce (operator settings). */
  templatePolicy: TemplatePolicy;
  /** Stopping runs, here or on another instance (cancelExecution). */
  cancellations: RunCancellations;
}

/** Built per HTTP request, and per operation on a WebSocket. */
export type Context = Readonly<{
  viewer: Viewer | null;
  /** The viewer-scoped client: every read goes through RLS as the viewer. */
  db: PrismaClient;
  /** SQL as the viewer (RLS) in one round trip; see Database.runAs. */
  readAsViewer(statements: SqlText[]): Promise<Record<string, unknown>[][]>;
  services: Services;
  /** The client's IP address (the socket's peer), for per-IP limits; null when unknown. */
  clientAddress: string | null;
  /** The x402 PAYMENT-SIGNATURE header of an HTTP request, if any. */
  paymentHeader: string | null;
  /** The URL payments are made out to (this server's GraphQL endpoint). */
  resourceUrl: string;
  /** Headers for this request's HTTP response (e.g. PAYMENT-RESPONSE); ignored over WebSocket. */
  responseHeaders: Headers;
}>;
