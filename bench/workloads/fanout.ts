/**
 * Workload 5: executionLogged fan-out across two promptmeter instances sharing Redis. For each
 * subscriber count, a fresh swarm process connects that many graphql-ws clients (half on each
 * instance; owners and the runs' caller, plus a few strangers who may read nothing), then runs
 * are fired alternately on the two instances. Each run's row id is its sequence number's key:
 * every reader must receive every id exactly once, strangers none. Latency is arrival time
 * minus the row's completedAt (stamped just before the final write commits, so it slightly
 * overstates commit-to-client).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createAuthenticator, demoUserId } from '../../server/src/testing.ts';
import { executeRun } from '../clients/run-client.ts';
import { ACTORS, RUN_TEMPLATE } from '../dataset/actors.ts';
import { BENCH_DIR, JWT_SECRET, type Mode } from '../harness/config.ts';
import type { ServerProcess } from '../harness/processes.ts';
import { fmt } from '../harness/stats.ts';
import type { Check } from './check.ts';
import type { SwarmPlan, SwarmReport } from './fanout-swarm-tally.ts';

export interface FanoutStep {
  subscribers: number;
  connectSeconds: number;
  report: SwarmReport;
  /** Server memory added per subscriber (both instances, after a full GC), bytes. */
  heapPerSubscriber: number;
  rssPerSubscriber: number;
  drainSeconds: number;
  /** Distinct viewers subscribed (the owner, the caller, and one or many stranger users). */
  distinctViewers: number;
  /** Database round trips of the live log per change (start or end of a run), per instance. */
  liveReadsPerChange: number[];
}

export interface FanoutResult {
  checks: Check[];
  steps: FanoutStep[];
}

function startSwarm(): Promise<{ child: ChildProcess; ask: <T>(message: object) => Promise<T> }> {
  const child = fork(`${BENCH_DIR}workloads/fanout-swarm.ts`, [], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T>(message: { type?: string } & object) =>
    new Promise<T>((resolve, reject) => {
      const type = (message as { type: string }).type;
      const onMessage = (reply: { type: string } & T) => {
        if (reply.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(reply);
      };
      const onExit = (code: number | null) =>
        reject(new Error(`swarm exited (${code}) during ${type}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(message);
    });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve({ child, ask }));
    child.once('exit', (code) => reject(new Error(`swarm exited (${code}) at start`)));
  });
}

const memory = async (instances: ServerProcess[]) => {
  let heap = 0;
  let rss = 0;
  for (const instance of instances) {
    await instance.gc();
    const { memory } = await instance.sample();
    heap += memory.heapUsed;
    rss += memory.rss;
  }
  return { heap, rss };
};

export async function runFanout(
  instances: [ServerProcess, ServerProcess],
  mode: Mode,
  log: (line: string) => void,
  /** Profiles extra, unmeasured events at the largest step (the measured ones stay unprofiled). */
  profileLargest?: (fireEvents: () => Promise<number>) => Promise<void>,
): Promise<FanoutResult> {
  const authenticator = createAuthenticator(JWT_SECRET);
  const tokens = {
    owner: await authenticator.mint({ sub: ACTORS.owner, name: 'Bench Owner' }, '1d'),
    caller: await authenticator.mint({ sub: ACTORS.runner, name: 'Bench Runner' }, '1d'),
    stranger: await authenticator.mint({ sub: ACTORS.stranger, name: 'Bench Stranger' }, '1d'),
  };
  let seq = 0;
  const fire = (i: number) =>
    executeRun((instances[i % 2] as ServerProcess).url, tokens.caller, ++seq);
  const checks: Check[] = [];
  const steps: FanoutStep[] = [];
  const largest = Math.max(...mode.subscriberCounts);
  // At the largest step every stranger is a user of its own, so the feed has
  // mode.distinctViewers viewers to ask RLS about per event (issue 15: round trips per event
  // with 2,000 distinct viewers). Their ids are stable, so reruns reuse their user rows.
  const distinctStrangers = Math.max(0, mode.distinctViewers - 2);
  const strangerTokens = await Promise.all(
    Array.from({ length: distinctStrangers }, (_, i) =>
      authenticator.mint({ sub: demoUserId(`bench-stranger-${i}`), name: `Stranger ${i}` }, '1d'),
    ),
  );
  for (const count of mode.subscriberCounts) {
    const distinct = count === largest && distinctStrangers > 0;
    const strangers = distinct ? distinctStrangers : Math.max(5, Math.round(count / 100));
    const before = await memory(instances);
    const swarm = await startSwarm();
    try {
      // Every subscriber starts after this run: what comes later reaches it even if it was not
      // listening yet (resumption), so the warm-up below only makes sure all are live.
      const seed = await fire(0);
      if (!seed.position) throw new Error(`seed run failed: ${seed.error}`);
      const plan: SwarmPlan = {
        urls: instances.map((instance) => instance.url),
        tokens,
        count,
        strangers,
        templateId: Buffer.from(`Template:${RUN_TEMPLATE}`).toString('base64'),
        after: seed.position,
        strangerTokens: distinct ? strangerTokens : undefined,
      };
      const connected = await swarm.ask<{ ms: number; errors: number }>({ type: 'connect', plan });
      await swarm.ask({ type: 'subscribe' });
      // graphql-ws does not acknowledge a subscription: warm-up runs (not measured) until one
      // reaches every reader show that all of them are listening.
      let warmMissing = -1;
      for (let attempt = 0; attempt < 10 && warmMissing !== 0; attempt++) {
        const warm = await fire(0);
        if (!warm.id) throw new Error(`warm-up run failed: ${warm.error}`);
        warmMissing = (
          await swarm.ask<{ missing: number }>({ type: 'await', ids: [warm.id], timeoutMs: 10_000 })
        ).missing;
      }
      const after = await memory(instances);
      const countersBefore = await Promise.all(instances.map((instance) => instance.sample()));
      const ids: string[] = [];
      let failed = 0;
      for (let i = 0; i < mode.fanoutEvents; i++) {
        const started = performance.now();
        const outcome = await fire(i + 1);
        if (outcome.id) ids.push(outcome.id);
        if (!outcome.ok) failed++;
        const wait = mode.eventIntervalMs - (performance.now() - started);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const drainStarted = performance.now();
      await swarm.ask({ type: 'await', ids, timeoutMs: 180_000 });
      const drainSeconds = (performance.now() - drainStarted) / 1000;
      // The live log's round trips per change (a run is two: its start and its end), per instance.
      const countersAfter = await Promise.all(instances.map((instance) => instance.sample()));
      const liveReadsPerChange = instances.map((_, i) => {
        const delta = (name: string) =>
          (countersAfter[i]?.counters[name] ?? 0) - (countersBefore[i]?.counters[name] ?? 0);
        return (
          (delta('liveChangeReads') + delta('liveVisibilityChecks')) /
          Math.max(1, 2 * mode.fanoutEvents)
        );
      });
      const { report } = await swarm.ask<{ report: SwarmReport }>({ type: 'report', ids });
      if (profileLargest && count === Math.max(...mode.subscriberCounts)) {
        await profileLargest(async () => {
          for (let i = 0; i < mode.fanoutEvents; i++) {
            await fire(mode.fanoutEvents + i + 1);
            await new Promise((resolve) => setTimeout(resolve, mode.eventIntervalMs));
          }
          return mode.fanoutEvents;
        });
      }
      const step: FanoutStep = {
        subscribers: count,
        connectSeconds: connected.ms / 1000,
        report,
        heapPerSubscriber: (after.heap - before.heap) / count,
        rssPerSubscriber: (after.rss - before.rss) / count,
        drainSeconds,
        distinctViewers: distinct ? distinctStrangers + 2 : 3,
        liveReadsPerChange,
      };
      steps.push(step);
      log(
        `  ${count} subscribers: lost ${report.lost}, duplicated ${report.duplicated}, strangers got ${report.strangerDeliveries}, p50 ${fmt(report.latencyMs.p50, 1)} ms, p99 ${fmt(report.latencyMs.p99, 1)} ms, max ${fmt(report.latencyMs.max, 0)} ms, RUNNING seen ${report.running}/${report.expectedDeliveries} (dup ${report.runningDuplicated}, after final ${report.runningAfterFinal}), ${report.resumes} resumes, ${step.distinctViewers} distinct viewers, ${liveReadsPerChange.map((value) => value.toFixed(3)).join(' / ')} round trips per change per instance, ${(step.heapPerSubscriber / 1024).toFixed(1)} KiB heap/subscriber, drained ${drainSeconds.toFixed(1)} s after the last run`,
      );
      checks.push({
        name: `${count} subscribers: every reader got every event exactly once, strangers none`,
        ok:
          report.lost === 0 &&
          report.duplicated === 0 &&
          report.strangerDeliveries === 0 &&
          report.runningDuplicated === 0 &&
          report.runningAfterFinal === 0 &&
          failed === 0 &&
          warmMissing === 0,
        detail: `${report.delivered}/${report.expectedDeliveries} delivered, ${report.lost} lost, ${report.duplicated} duplicated, RUNNING ${report.runningDuplicated} duplicated and ${report.runningAfterFinal} after the final state, ${report.resumes} resumes, ${report.strangerDeliveries} to strangers, ${failed} runs failed, ${connected.errors + report.errors} client errors`,
      });
    } finally {
      await swarm.ask({ type: 'close' }).catch(() => {});
      swarm.child.kill();
    }
    // Let the servers notice the closed sockets before the next step's memory baseline.
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  return { checks, steps };
}
