/**
 * The fan-out workload's subscribers, in a process of their own so that their work does not
 * slow the driver: `count` graphql-ws clients spread over the promptmeter instances, each
 * subscribed to executionLogged of one template, recording when each event arrives. The driver
 * steers it over IPC (connect, subscribe, await ids, report).
 */
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { quantile } from '../harness/stats.ts';

export interface SwarmPlan {
  urls: string[];
  /** Tokens by role: owners and the runs' caller may read every event; strangers none. */
  tokens: { owner: string; caller: string; stranger: string };
  count: number;
  strangers: number;
  templateId: string;
}

export interface SwarmReport {
  subscribers: number;
  strangers: number;
  events: number;
  expectedDeliveries: number;
  delivered: number;
  lost: number;
  duplicated: number;
  strangerDeliveries: number;
  errors: number;
  errorReasons: string[];
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

interface Subscriber {
  client: Client;
  stranger: boolean;
  /** execution id → arrival times (ms since epoch, sub-ms); completedAt of the event seen. */
  arrivals: Map<string, number[]>;
  completedAt: Map<string, number>;
}

const SUBSCRIPTION = `subscription Logged($templateId: ID!) {
  executionLogged(templateId: $templateId) { id status completedAt }
}`;

const now = () => performance.timeOrigin + performance.now();
const subscribers: Subscriber[] = [];
let errors = 0;
/** A few distinct error reasons, for the report. */
const reasons = new Set<string>();
const failed = (reason: unknown) => {
  errors++;
  const event = reason as { code?: number; reason?: string; message?: string };
  if (reasons.size < 5)
    reasons.add(
      event?.code
        ? `close ${event.code} ${event.reason ?? ''}`
        : String(event?.message ?? JSON.stringify(reason)),
    );
};
let plan: SwarmPlan;

async function connect(next: SwarmPlan) {
  plan = next;
  // Opened in small batches: a burst of hundreds of handshakes at once is a different test.
  const batch = 50;
  for (let start = 0; start < plan.count; start += batch) {
    const opened: Promise<void>[] = [];
    for (let i = start; i < Math.min(plan.count, start + batch); i++) {
      const stranger = i < plan.strangers;
      const token = stranger
        ? plan.tokens.stranger
        : i % 2
          ? plan.tokens.owner
          : plan.tokens.caller;
      let resolveOpen: () => void = () => {};
      opened.push(new Promise<void>((resolve) => (resolveOpen = resolve)));
      const client = createClient({
        url: `${(plan.urls[i % plan.urls.length] as string).replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        lazy: false,
        retryAttempts: 0,
        onNonLazyError: failed,
        on: {
          connected: () => resolveOpen(),
          error: (error) => {
            failed(error);
            resolveOpen();
          },
          closed: (event) => {
            if ((event as { code?: number }).code !== 1000) failed(event);
          },
        },
      });
      subscribers.push({ client, stranger, arrivals: new Map(), completedAt: new Map() });
    }
    await Promise.all(opened);
  }
}

function subscribeAll() {
  for (const subscriber of subscribers) {
    subscriber.client.subscribe<{ executionLogged: { id: string; completedAt: string } }>(
      { query: SUBSCRIPTION, variables: { templateId: plan.templateId } },
      {
        next: (result) => {
          const at = now();
          const event = result.data?.executionLogged;
          if (!event) {
            failed(result.errors?.[0]?.message ?? 'empty event');
            return;
          }
          const id = Buffer.from(event.id, 'base64')
            .toString()
            .replace(/^Execution:/, '');
          const seen = subscriber.arrivals.get(id);
          if (seen) seen.push(at);
          else subscriber.arrivals.set(id, [at]);
          subscriber.completedAt.set(id, Date.parse(event.completedAt));
        },
        error: failed,
        complete: () => {},
      },
    );
  }
}

/**
 * Resolves when every reader has every id, at the deadline, or once nothing has arrived for
 * `STALL_MS` (what has not come by then is not coming): how many deliveries are missing.
 */
async function awaitIds(ids: string[], timeoutMs: number) {
  const STALL_MS = 15_000;
  const deadline = Date.now() + timeoutMs;
  const readers = subscribers.filter((s) => !s.stranger);
  const missing = () =>
    readers.reduce((sum, s) => sum + ids.filter((id) => !s.arrivals.has(id)).length, 0);
  let left = missing();
  let progressAt = Date.now();
  while (left > 0 && Date.now() < deadline && Date.now() - progressAt < STALL_MS) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = missing();
    if (now < left) progressAt = Date.now();
    left = now;
  }
  return left;
}

function report(ids: string[]): SwarmReport {
  const latencies: number[] = [];
  let delivered = 0;
  let lost = 0;
  let duplicated = 0;
  let strangerDeliveries = 0;
  for (const subscriber of subscribers) {
    for (const id of ids) {
      const arrivals = subscriber.arrivals.get(id) ?? [];
      if (subscriber.stranger) {
        strangerDeliveries += arrivals.length;
        continue;
      }
      if (arrivals.length === 0) lost++;
      else {
        delivered++;
        duplicated += arrivals.length - 1;
        latencies.push((arrivals[0] as number) - (subscriber.completedAt.get(id) as number));
      }
    }
  }
  latencies.sort((a, b) => a - b);
  const readers = subscribers.filter((s) => !s.stranger).length;
  return {
    subscribers: subscribers.length,
    strangers: subscribers.length - readers,
    events: ids.length,
    expectedDeliveries: readers * ids.length,
    delivered,
    lost,
    duplicated,
    strangerDeliveries,
    errors,
    errorReasons: [...reasons],
    latencyMs: {
      p50: quantile(latencies, 0.5),
      p90: quantile(latencies, 0.9),
      p99: quantile(latencies, 0.99),
      max: latencies.at(-1) ?? Number.NaN,
    },
  };
}

process.on(
  'message',
  async (message: { type: string; plan?: SwarmPlan; ids?: string[]; timeoutMs?: number }) => {
    const reply = (body: object) => process.send?.({ type: message.type, ...body });
    if (message.type === 'connect' && message.plan) {
      const started = performance.now();
      await connect(message.plan);
      reply({ ms: performance.now() - started, errors });
    } else if (message.type === 'subscribe') {
      subscribeAll();
      reply({});
    } else if (message.type === 'await' && message.ids) {
      reply({ missing: await awaitIds(message.ids, message.timeoutMs ?? 10_000) });
    } else if (message.type === 'report' && message.ids) {
      reply({ report: report(message.ids) });
    } else if (message.type === 'close') {
      await Promise.allSettled(subscribers.map((s) => s.client.dispose()));
      reply({});
      process.exit(0);
    }
  },
);
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
