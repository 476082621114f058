/** The swarm's plan and report (shared with the driver), and the tally of what it received. */
import type { Client } from 'graphql-ws';
import { quantile } from '../harness/stats.ts';

export interface SwarmPlan {
  urls: string[];
  /** Tokens by role: owners and the runs' caller may read every event; strangers none. */
  tokens: { owner: string; caller: string; stranger: string };
  /** When set, stranger i uses strangerTokens[i]: each a distinct viewer (users of their own). */
  strangerTokens?: string[];
  count: number;
  strangers: number;
  templateId: string;
  /** The logPosition every subscriber starts after (a run made before they subscribe). */
  after: string;
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
  /** Readers' RUNNING events of these runs (a run that ends before a read is seen once, final). */
  running: number;
  runningDuplicated: number;
  /** RUNNING events that came after the run's final state (an order violation). */
  runningAfterFinal: number;
  /** Subscriptions resumed with `after` after the server ended one or a socket closed. */
  resumes: number;
}

export interface Subscriber {
  client: Client;
  stranger: boolean;
  /** execution id → arrival times (ms since epoch, sub-ms); completedAt of the event seen. */
  arrivals: Map<string, number[]>;
  completedAt: Map<string, number>;
  /** execution id → arrival times of its RUNNING events. */
  running: Map<string, number[]>;
  /** The last logPosition received: where it resumes. */
  last: string;
  resumes: number;
}

/** What the subscribers received of `ids`: deliveries, losses, duplicates and latency. */
export function tally(
  subscribers: Subscriber[],
  ids: string[],
  errors: number,
  errorReasons: string[],
): SwarmReport {
  const latencies: number[] = [];
  let delivered = 0;
  let lost = 0;
  let duplicated = 0;
  let strangerDeliveries = 0;
  let running = 0;
  let runningDuplicated = 0;
  let runningAfterFinal = 0;
  let resumes = 0;
  for (const subscriber of subscribers) {
    resumes += subscriber.resumes;
    for (const id of ids) {
      const arrivals = subscriber.arrivals.get(id) ?? [];
      const runningArrivals = subscriber.running.get(id) ?? [];
      if (subscriber.stranger) {
        strangerDeliveries += arrivals.length + runningArrivals.length;
        continue;
      }
      running += Math.min(1, runningArrivals.length);
      runningDuplicated += Math.max(0, runningArrivals.length - 1);
      const final = arrivals[0];
      if (final !== undefined)
        runningAfterFinal += runningArrivals.filter((at) => at > final).length;
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
    errorReasons,
    latencyMs: {
      p50: quantile(latencies, 0.5),
      p90: quantile(latencies, 0.9),
      p99: quantile(latencies, 0.99),
      max: latencies.at(-1) ?? Number.NaN,
    },
    running,
    runningDuplicated,
    runningAfterFinal,
    resumes,
  };
}
