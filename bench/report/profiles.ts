import { fmt } from '../harness/stats.ts';
import type { BenchResults } from './results.ts';

/** "Where the time goes": each CPU profile's top areas (inclusive) and functions (self). */
export function profileSections(profiles: BenchResults['profiles']): string[] {
  if (!profiles.length) return [];
  const lines = [
    '',
    '## Where the time goes: CPU profiles',
    '',
    'V8 sampling profiles of the server process during one window (the inspector is attached for that window only). ' +
      '"Inclusive" charges a sample to every package on its stack; "self" to the frame that was running. ' +
      '"bench instrumentation" is the round-trip counter wrapped around pg\'s Client.query in O: it is on the stack of all SQL work ' +
      "but costs next to nothing itself. wasm/… under Prisma is its query compiler. Sampled CPU per request includes the profiler's own overhead.",
  ];
  for (const { label, requests, summary } of profiles) {
    const busy = summary.areas.reduce((sum, area) => sum + area.ms, 0);
    lines.push(
      '',
      `### ${label}`,
      '',
      /executionLogged/.test(label)
        ? `${requests} events; ${fmt(busy / Math.max(1, requests), 0)} ms of sampled CPU per event in this instance (top areas).`
        : `${requests} requests; ${fmt((busy / Math.max(1, requests)) * 1000, 0)} µs of sampled CPU per request (top areas).`,
      '',
      '| inclusive | share | | self (function) | share |',
      '|---|---|---|---|---|',
    );
    for (let i = 0; i < 12; i++) {
      const inc = summary.inclusive[i];
      const fn = summary.functions[i];
      lines.push(
        `| ${inc?.area ?? ''} | ${inc ? `${(inc.share * 100).toFixed(1)}%` : ''} | | ${fn ? `\`${fn.name}\` (${fn.area})` : ''} | ${fn ? `${(fn.share * 100).toFixed(1)}%` : ''} |`,
      );
    }
  }
  return lines;
}

/** "Query plans": EXPLAIN of the page queries, current and before. */
export function planSections(plans: BenchResults['plans']): string[] {
  if (!plans.length) return [];
  const lines = [
    '',
    '## Query plans',
    '',
    'EXPLAIN (ANALYZE, BUFFERS) as a request runs them: request role, hot caller as viewer (RLS on), second execution.',
  ];
  for (const plan of plans) lines.push('', `### ${plan.name}`, '', '```', plan.plan, '```');
  return lines;
}
