import { createAuthenticator } from '../../server/src/testing.ts';
import type { FakeModel } from '../clients/fake-model.ts';
import { hotCallerToken, pageTarget, type Servers } from '../clients/page-requests.ts';
import { executeRun } from '../clients/run-client.ts';
import { ACTORS } from '../dataset/actors.ts';
import { JWT_SECRET, type Mode } from './config.ts';
import { loadWindow } from './load.ts';
import { LETTER, type ServerProcess } from './processes.ts';
import type { WindowProfiler } from './profile.ts';

// The extra, unmeasured load windows the servers are profiled in (full mode).

/** The first page on each server, and with totalCount where it costs the most. */
export async function profilePages(servers: Servers, mode: Mode, profile: WindowProfiler) {
  const token = await hotCallerToken();
  for (const [server, count] of [
    ['promptmeter', false],
    ['postgraphile', false],
    ['floor', false],
    ['promptmeter', true],
    ['postgraphile', true],
  ] as const) {
    const target = pageTarget(server, servers[server].url, token, { count });
    await profile(
      `${LETTER[server]}: first page${count ? ' + totalCount' : ''}, ${mode.connections} connections`,
      servers[server],
      mode.windowSeconds,
      async () =>
        (await loadWindow(target, { seconds: mode.windowSeconds, connections: mode.connections }))
          .requests,
    );
  }
}

/** promptmeter's own work per run: the 0 ms model, one run at a time. */
export async function profileRuns(
  promptmeter: ServerProcess,
  model: FakeModel,
  mode: Mode,
  profile: WindowProfiler,
) {
  model.setLatency(0);
  const token = await createAuthenticator(JWT_SECRET).mint({
    sub: ACTORS.runner,
    name: 'Bench Runner',
  });
  await profile(
    `${LETTER.promptmeter}: executeTemplate, 0 ms model, one at a time`,
    promptmeter,
    mode.windowSeconds,
    async () => {
      let runs = 0;
      const until = performance.now() + mode.windowSeconds * 1000;
      while (performance.now() < until) await executeRun(promptmeter.url, token, ++runs);
      return runs;
    },
  );
}
