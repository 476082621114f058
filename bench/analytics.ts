/**
 * `npx tsx bench/analytics.ts [--quick]`: workload 8 alone (owner analytics and export), on its
 * own database and its own promptmeter process; also run by `npm run bench` as workload 8.
 */
import { parseArgs } from 'node:util';
import { MODES, promptmeterBenchEnv } from './harness/config.ts';
import { startServerProcess } from './harness/processes.ts';
import { ensureAnalyticsDatabase, runAnalyticsWorkloads } from './workloads/analytics.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const mode = MODES[values.quick ? 'quick' : 'full'];
const log = (line: string) => console.log(`[bench analytics] ${line}`);
const { url, runs } = await ensureAnalyticsDatabase(mode, log);
const server = await startServerProcess('promptmeter', {
  name: 'promptmeter-analytics',
  databaseUrl: url,
  // No run calls the model here: its address answers nothing.
  env: promptmeterBenchEnv('http://127.0.0.1:9'),
});
try {
  const result = await runAnalyticsWorkloads(mode, server, url, runs, log);
  process.exitCode = result.checks.every((check) => check.ok) ? 0 : 1;
} finally {
  await server.stop();
}
