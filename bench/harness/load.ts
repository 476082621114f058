import autocannon from 'autocannon';
import { quantile } from './stats.ts';

export interface HttpTarget {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface Window {
  requests: number;
  /** Transport errors, timeouts, non-2xx answers and GraphQL error bodies. */
  failures: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadOptions {
  seconds: number;
  connections: number;
  /** Open-loop: a fixed total request rate (req/s) instead of as fast as answers come. */
  rate?: number;
}

/**
 * One bounded load window on loopback with autocannon. Latencies are taken from autocannon's
 * per-response event (hrtime, sub-millisecond) rather than its millisecond histogram.
 */
export async function loadWindow(target: HttpTarget, options: LoadOptions): Promise<Window> {
  const latencies: number[] = [];
  const instance = autocannon({
    url: target.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: target.body,
    connections: options.connections,
    duration: options.seconds,
    timeout: 30,
    ...(options.rate ? { overallRate: options.rate } : {}),
    // A GraphQL error comes back as 200 with "errors": count it as a failure, not a success.
    verifyBody: (body) => !body.includes('"errors"'),
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const seconds = result.duration;
  return {
    requests: result.requests.total,
    failures: result.errors + result.timeouts + result.non2xx + result.mismatches,
    seconds,
    rps: result.requests.total / seconds,
    p50: quantile(latencies, 0.5),
    p90: quantile(latencies, 0.9),
    p99: quantile(latencies, 0.99),
    max: latencies.at(-1) ?? Number.NaN,
  };
}

/** One request through fetch, for checks (not for load). */
export async function post(target: HttpTarget): Promise<{ status: number; text: string }> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: target.body,
  });
  return { status: response.status, text: await response.text() };
}
