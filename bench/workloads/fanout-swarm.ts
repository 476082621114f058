/**
 * The fan-out workload's subscribers, in a process of their own so that their work does not
 * slow the driver: `count` graphql-ws clients spread over the promptmeter instances, each
 * subscribed to executionLogged of one template, recording when each event arrives. The driver
 * steers it over IPC (connect, subscribe, await ids, report).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { type Subscriber, type SwarmPlan, tally } from './fanout-swarm-tally.ts';

// As a resuming client subscribes: after the last position it saw (README "Live history").
const SUBSCRIPTION = `subscription Logged($templateId: ID!, $after: String) {
  executionLogged(templateId: $templateId, after: $after) { id status completedAt logPosition }
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
        ? (plan.strangerTokens?.[i] ?? plan.tokens.stranger)
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
      subscribers.push({
        client,
        stranger,
        arrivals: new Map(),
        completedAt: new Map(),
        running: new Map(),
        last: plan.after,
        resumes: 0,
      });
    }
    await Promise.all(opened);
  }
}

let closing = false;

const push = (map: Map<string, number[]>, id: string, at: number) => {
  const seen = map.get(id);
  if (seen) seen.push(at);
  else map.set(id, [at]);
};

/** Subscribes from the subscriber's last position; again (resuming) whenever the stream ends. */
function follow(subscriber: Subscriber) {
  subscriber.client.subscribe<{
    executionLogged: { id: string; status: string; completedAt: string; logPosition: string };
  }>(
    { query: SUBSCRIPTION, variables: { templateId: plan.templateId, after: subscriber.last } },
    {
      next: (result) => {
        const at = now();
        const event = result.data?.executionLogged;
        if (!event) {
          failed(result.errors?.[0]?.message ?? 'empty event');
          return;
        }
        subscriber.last = event.logPosition;
        const id = Buffer.from(event.id, 'base64')
          .toString()
          .replace(/^Execution:/, '');
        if (event.status === 'RUNNING') {
          push(subscriber.running, id, at);
          return;
        }
        push(subscriber.arrivals, id, at);
        subscriber.completedAt.set(id, Date.parse(event.completedAt));
      },
      error: (error) => {
        failed(error);
        resume(subscriber);
      },
      complete: () => resume(subscriber),
    },
  );
}

function resume(subscriber: Subscriber) {
  if (closing) return;
  subscriber.resumes++;
  setTimeout(() => follow(subscriber), 100);
}

function subscribeAll() {
  for (const subscriber of subscribers) follow(subscriber);
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
      reply({ report: tally(subscribers, message.ids, errors, [...reasons]) });
    } else if (message.type === 'close') {
      closing = true;
      await Promise.allSettled(subscribers.map((s) => s.client.dispose()));
      reply({});
      process.exit(0);
    }
  },
);
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
