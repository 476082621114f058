/**
 * Workload 7: streamed runs (Subscription.runTemplate over graphql-ws), `streams` at once against
 * the fake model writing a word every `chunkDelayMs` after `firstTokenMs`.
 *   - Added first-token latency: when a client receives its first ExecutionOutputDelta minus when
 *     the model wrote that text (both clocks are this process's: the fake model runs here), p50
 *     and p99; the baseline is the same SDK call made directly, at the same concurrency, timed
 *     the same way (its first onText), so the bench process's own load counts on both sides.
 *   - Delivery rate: the model's deltas carried to the clients per second (all streams, from the
 *     model's first word to the last client's ExecutionFinished) against the rate the model
 *     writes them (its first to last word): 1 when the server keeps pace. The server joins what
 *     the model writes within 50 ms (and what a slow reader has not taken yet), so the delta
 *     events clients receive per second are reported too.
 *   - End lag: the model's last word to the client's ExecutionFinished, p50 / p99.
 * Checks: every stream succeeds, its deltas join to exactly its output and to what the model
 * wrote; a stream ended by its client has its model request aborted (the fake model sees the
 * connection close) and its row ends FAILED "cancelled".
 */
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createAuthenticator } from '../../server/src/testing.ts';
import type { FakeModel } from '../clients/fake-model.ts';
import { ACTORS, RUN_TEMPLATE } from '../dataset/actors.ts';
import { JWT_SECRET, type Mode } from '../harness/config.ts';
import type { ServerProcess } from '../harness/processes.ts';
import type { WindowProfiler } from '../harness/profile.ts';
import { quantile } from '../harness/stats.ts';
import type { Check } from './check.ts';

// BENCH_STREAMS: a trial at another concurrency.
const STREAMS = Number(process.env.BENCH_STREAMS ?? 100);
const FIRST_TOKEN_MS = 200;
const CHUNK_DELAY_MS = 20;

/** A runTemplate event, as this workload selects it. */
interface RunEvent {
  __typename: 'ExecutionStarted' | 'ExecutionOutputDelta' | 'ExecutionFinished';
  text?: string;
  output?: string | null;
  execution?: { id: string; status: string; errorMessage: string | null };
}

const RUN = `subscription Run($input: ExecuteTemplateInput!) {
  runTemplate(input: $input) {
    __typename
    ... on ExecutionStarted { execution { id } }
    ... on ExecutionOutputDelta { text }
    ... on ExecutionFinished { output execution { id status errorMessage } }
  }
}`;

export interface StreamsResult {
  checks: Check[];
  streams: number;
  wordsPerStream: number;
  firstTokenMs: number;
  chunkDelayMs: number;
  /** Client's first delta − the model's first word written, ms: promptmeter and direct. */
  addedFirstDelta: { p50: number; p99: number };
  directFirstDelta: { p50: number; p99: number };
  /** Model deltas per second, all streams together: written by the model, carried to clients. */
  modelDeltasPerSecond: number;
  carriedDeltasPerSecond: number;
  /** Delta events clients received per second (joined deltas: fewer than the model's). */
  clientDeltasPerSecond: number;
  /** The model's last word → the client's ExecutionFinished, ms. */
  endLag: { p50: number; p99: number };
}

interface StreamOutcome {
  seq: number;
  firstDeltaAt: number | null;
  deltas: number;
  text: string;
  output: string | null;
  status: string | null;
  finishedAt: number | null;
  error: string | null;
}

export async function runStreamWorkload(
  promptmeter: ServerProcess,
  model: FakeModel,
  mode: Mode,
  log: (line: string) => void,
  profile?: WindowProfiler,
): Promise<StreamsResult> {
  const words = mode.name === 'quick' ? 40 : 100;
  const text = Array.from({ length: words }, (_, i) => `word${i}`).join(' ');
  const server = model.server;
  server.setDefault({
    kind: 'delay',
    ms: FIRST_TOKEN_MS,
    after: { kind: 'text', text, chunkDelayMs: CHUNK_DELAY_MS },
  });
  const token = await createAuthenticator(JWT_SECRET).mint(
    { sub: ACTORS.runner, name: 'Bench Runner' },
    '1d',
  );
  const requestOf = (prompt: string) => server.requests.findIndex((r) => r.prompt === prompt);
  const percentiles = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
  };

  // Baseline: the same SDK call, straight from here, as many at once.
  log(`workload 7: ${STREAMS} direct SDK streams (baseline)`);
  const directFirst: number[] = [];
  const direct = model.directStream();
  await Promise.all(
    Array.from({ length: STREAMS }, async (_, i) => {
      const prompt = `Bench direct ${i}`;
      let first: number | null = null;
      await direct(prompt, () => {
        first ??= performance.now();
      });
      const written = server.deltaTimes[requestOf(prompt)]?.first;
      if (first !== null && written !== undefined) directFirst.push(first - written);
    }),
  );

  log(`workload 7: ${STREAMS} streamed runs at once through promptmeter`);
  const sockets: Client[] = [];
  const socket = () => {
    const client = createClient({
      url: `${promptmeter.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: true,
    });
    sockets.push(client);
    return client;
  };
  const streamAll = () =>
    Promise.all(Array.from({ length: STREAMS }, (_, i) => streamOne(socket(), 1_000_000 + i)));
  const outcomes = await streamAll();
  // Profiled on a second, unmeasured batch.
  if (profile) {
    await profile(`O: runTemplate, ${STREAMS} streams`, promptmeter, 0, async () => {
      const again = await streamAll();
      return again.reduce((sum, outcome) => sum + outcome.deltas, 0);
    });
  }

  // A stream its client ends: the model request must be aborted, the row end "cancelled".
  const stopped = await stopOne(socket(), 2_000_000);
  const stoppedIndex = requestOf(`Bench run ${2_000_000}`);
  const deadline = Date.now() + 5000;
  while (server.replyEnds[stoppedIndex] === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const client of sockets) await client.dispose();

  const added: number[] = [];
  const endLag: number[] = [];
  let modelFirst = Number.POSITIVE_INFINITY;
  let modelLast = 0;
  let clientLast = 0;
  for (const outcome of outcomes) {
    const times = server.deltaTimes[requestOf(`Bench run ${outcome.seq}`)];
    if (times?.first === undefined || times.last === undefined) continue;
    modelFirst = Math.min(modelFirst, times.first);
    modelLast = Math.max(modelLast, times.last);
    if (outcome.firstDeltaAt !== null) added.push(outcome.firstDeltaAt - times.first);
    if (outcome.finishedAt !== null) {
      endLag.push(outcome.finishedAt - times.last);
      clientLast = Math.max(clientLast, outcome.finishedAt);
    }
  }
  const modelSeconds = (modelLast - modelFirst) / 1000;
  const carriedSeconds = (clientLast - modelFirst) / 1000;
  const totalDeltas = outcomes.reduce((sum, outcome) => sum + outcome.deltas, 0);
  const succeeded = outcomes.filter((o) => o.status === 'SUCCESS' && o.error === null);
  const exact = succeeded.filter((o) => o.text === text && o.output === text);
  const checks: Check[] = [
    {
      name: `${STREAMS} streamed runs at once all succeed`,
      ok: succeeded.length === STREAMS,
      detail: `${succeeded.length} succeeded${outcomes.find((o) => o.error)?.error ? `; e.g. ${outcomes.find((o) => o.error)?.error}` : ''}`,
    },
    {
      name: "every stream's deltas join to exactly its output and the model's text",
      ok: exact.length === STREAMS,
      detail: `${exact.length} of ${STREAMS} exact`,
    },
    {
      name: 'a stream its client ends aborts the model request and ends "cancelled"',
      ok: server.replyEnds[stoppedIndex] === 'client-closed' && stopped === 'cancelled',
      detail: `model reply: ${server.replyEnds[stoppedIndex] ?? 'still running'}; row: ${stopped}`,
    },
  ];
  server.setDefault({ kind: 'text', text: 'ok' });
  return {
    checks,
    streams: STREAMS,
    wordsPerStream: words,
    firstTokenMs: FIRST_TOKEN_MS,
    chunkDelayMs: CHUNK_DELAY_MS,
    addedFirstDelta: percentiles(added),
    directFirstDelta: percentiles(directFirst),
    // The model writes `words` deltas per stream over its streaming window.
    modelDeltasPerSecond: (STREAMS * words) / Math.max(modelSeconds, 1e-3),
    carriedDeltasPerSecond: (STREAMS * words) / Math.max(carriedSeconds, 1e-3),
    clientDeltasPerSecond: totalDeltas / Math.max(carriedSeconds, 1e-3),
    endLag: percentiles(endLag),
  };

  function streamOne(client: Client, seq: number): Promise<StreamOutcome> {
    const outcome: StreamOutcome = {
      seq,
      firstDeltaAt: null,
      deltas: 0,
      text: '',
      output: null,
      status: null,
      finishedAt: null,
      error: null,
    };
    return new Promise((resolve) => {
      client.subscribe<{ runTemplate: RunEvent }>(
        { query: RUN, variables: { input: runInput(seq) } },
        {
          next: ({ data, errors }) => {
            if (errors) outcome.error = errors[0]?.message ?? 'error';
            const event = data?.runTemplate;
            if (event?.__typename === 'ExecutionOutputDelta') {
              outcome.firstDeltaAt ??= performance.now();
              outcome.deltas++;
              outcome.text += event.text ?? '';
            } else if (event?.__typename === 'ExecutionFinished') {
              outcome.finishedAt = performance.now();
              outcome.output = event.output ?? null;
              outcome.status = event.execution?.status ?? null;
              if (event.execution?.errorMessage) outcome.error = event.execution.errorMessage;
            }
          },
          error: (error) => {
            outcome.error = JSON.stringify(error).slice(0, 200);
            resolve(outcome);
          },
          complete: () => resolve(outcome),
        },
      );
    });
  }

  /** Starts a stream, ends it after its first delta; resolves with its row's errorMessage. */
  async function stopOne(client: Client, seq: number): Promise<string | null> {
    const id = await new Promise<string | null>((resolve) => {
      let runId: string | null = null;
      const unsubscribe = client.subscribe<{ runTemplate: RunEvent }>(
        { query: RUN, variables: { input: runInput(seq) } },
        {
          next: ({ data }) => {
            const event = data?.runTemplate;
            if (event?.__typename === 'ExecutionStarted') runId = event.execution?.id ?? null;
            if (event?.__typename === 'ExecutionOutputDelta') {
              unsubscribe();
              resolve(runId);
            }
          },
          error: () => resolve(null),
          complete: () => resolve(runId),
        },
      );
    });
    if (!id) return null;
    const query = `query($id: ID!) { node(id: $id) { ... on Execution { status errorMessage } } }`;
    for (let attempt = 0; attempt < 50; attempt++) {
      const response = await fetch(`${promptmeter.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables: { id } }),
      });
      const node = ((await response.json()) as { data?: { node?: Record<string, string> } }).data
        ?.node;
      if (node && node.status !== 'RUNNING') return node.errorMessage ?? node.status ?? null;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return 'still running';
  }
}

const runInput = (seq: number) => ({
  templateId: Buffer.from(`Template:${RUN_TEMPLATE}`).toString('base64'),
  variables: { seq: String(seq) },
});
