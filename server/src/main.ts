// The server process. The signal handlers are installed before the app's modules load (about a
// second): as PID 1 of a container a signal without a handler is ignored (`docker stop` would
// wait for its SIGKILL), and elsewhere it would kill the process mid-start. Keep the imports
// above the handlers light.
import { setFlagsFromString } from 'node:v8';
import { readEnv } from './env.ts';
import type { startServer } from './server.ts';

// Node 20's V8 moves a WebAssembly function to its optimizing compiler after ~1.8 MB of "bytes
// executed"; Node 22's after 13 MB. On Node 20, PGlite's start-up (code that runs once) crossed
// the lower budget and the background compiles were about half the CPU of a warm start. Set before
// any module is compiled (PGlite and Prisma load with server.ts, below); later V8s keep their own.
if (process.versions.node.startsWith('20.')) setFlagsFromString('--wasm-tiering-budget=13000000');

/**
 * A second signal sooner than this after the first is the same signal relayed to the process
 * group (Ctrl-C reaches npm, sh and us; npm forwards it once more): the drain goes on. A later
 * one is an operator insisting: exit at once.
 */
const DUPLICATE_SIGNAL_MS = 2000;
/** After the grace period, closing sockets, services and the database gets this long. */
const CLOSE_TIMEOUT_MS = 10_000;

const env = readEnv();
let firstSignalAt: number | null = null;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (firstSignalAt === null) {
      firstSignalAt = Date.now();
      shutDown(signal).catch((error) => {
        console.error('[shutdown] error while stopping:', error);
        process.exit(1);
      });
    } else if (Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) {
      console.log(`[shutdown] ${signal} again: taken as the same (group) signal; still draining`);
    } else {
      const runs = started?.runsInFlight.count ?? 0;
      console.error(
        `[shutdown] ${signal} again: exiting now; ${runs} run(s) in flight abandoned (the sweeper fails them as interrupted)`,
      );
      process.exit(1);
    }
  });
}

type Server = Awaited<ReturnType<typeof startServer>>;
let started: Server | null = null;
const starting: Promise<Server> = import('./server.ts').then(async (server) => {
  started = await server.startServer(env);
  return started;
});
starting.catch((error) => {
  console.error('[start] failed:', error);
  process.exit(1);
});

async function shutDown(signal: NodeJS.Signals) {
  // A signal during start-up stops the server as soon as it is up: nothing runs yet.
  const server = await starting;
  const graceSeconds = env.shutdownGraceMs / 1000;
  console.log(
    `[shutdown] ${signal}: draining ${server.runsInFlight.count} run(s) in flight for up to ${graceSeconds} s; new runs and /health/ready answer 503`,
  );
  setTimeout(() => {
    console.error('[shutdown] closing is taking too long: exiting now');
    process.exit(1);
  }, env.shutdownGraceMs + CLOSE_TIMEOUT_MS).unref();
  const began = performance.now();
  await server.stop({ graceMs: env.shutdownGraceMs });
  const runsLeft = server.runsInFlight.count;
  const took = ((performance.now() - began) / 1000).toFixed(1);
  if (runsLeft === 0) {
    console.log(`[shutdown] done in ${took} s: every run finished; exiting`);
    process.exit(0);
  }
  console.error(
    `[shutdown] done in ${took} s: ${runsLeft} run(s) outlived SHUTDOWN_GRACE_MS and were abandoned (the sweeper fails them as interrupted); exiting`,
  );
  process.exit(1);
}
