import { fmt } from '../harness/stats.ts';
import type { StreamsResult } from '../workloads/streams.ts';
import { summaryRow as row, type SummaryRow } from './table.ts';

/** Workload 7 in the summary table. */
export function streamsSummary(s: StreamsResult): SummaryRow[] {
  const added = s.addedFirstDelta;
  const direct = s.directFirstDelta;
  return [
    row(
      '7',
      `runTemplate, ${s.streams} streams at once`,
      "model's first word → client's first delta, p50 / p99 ms (direct SDK: p50 / p99)",
      '< 20 ms added at p50',
      `${fmt(added.p50, 1)} / ${fmt(added.p99, 1)} (${fmt(direct.p50, 1)} / ${fmt(direct.p99, 1)})`,
      added.p50 < 20,
    ),
    row(
      '7',
      '',
      "model deltas carried to clients per second / the model's rate",
      '',
      `${fmt(s.carriedDeltasPerSecond / s.modelDeltasPerSecond, 2)} (${fmt(s.carriedDeltasPerSecond, 0)} / ${fmt(s.modelDeltasPerSecond, 0)} per s)`,
      null,
    ),
  ];
}

/** Workload 7 in "Details". */
export function streamsDetails(s: StreamsResult): string[] {
  return [
    '',
    '### 7. Streamed runs',
    '',
    `- ${s.streams} runTemplate subscriptions at once, one graphql-ws socket each; the fake model answers each after ${s.firstTokenMs} ms with ${s.wordsPerStream} words, one delta every ${s.chunkDelayMs} ms (${fmt(s.modelDeltasPerSecond, 0)} deltas/s in all).`,
    `- Added first-delta latency (the client's first ExecutionOutputDelta minus the moment the model wrote that word, one clock): p50 ${fmt(s.addedFirstDelta.p50, 1)} ms, p99 ${fmt(s.addedFirstDelta.p99, 1)} ms. The same SDK call made directly at the same concurrency, timed the same way: p50 ${fmt(s.directFirstDelta.p50, 1)} ms, p99 ${fmt(s.directFirstDelta.p99, 1)} ms. The model's own first-token time is ${s.firstTokenMs} ms.`,
    `- Delivery: the model's deltas reached the clients at ${fmt(s.carriedDeltasPerSecond, 0)}/s (its first word to the last client's ExecutionFinished) against ${fmt(s.modelDeltasPerSecond, 0)}/s written (${fmt(s.carriedDeltasPerSecond / s.modelDeltasPerSecond, 2)}; 1 keeps pace), as ${fmt(s.clientDeltasPerSecond, 0)} delta events/s (the server joins what the model writes within 50 ms). Model's last word → ExecutionFinished: p50 ${fmt(s.endLag.p50, 1)} ms, p99 ${fmt(s.endLag.p99, 1)} ms.`,
  ];
}
