import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * The child side of the bench's control channel (Node IPC): the driver asks a server process for
 * its own CPU time and memory around a measurement window, and tells it when to stop. Numbers
 * come from inside the process, so they cover exactly that server and nothing the driver does.
 */
export interface ChildHooks {
  /** Extra counters reported with each sample (e.g. SQL statements sent). */
  counters?: () => Record<string, number>;
  stop: () => Promise<void>;
}

export function ready(url: string, hooks: ChildHooks) {
  const send = (message: object) => process.send?.(message);
  let profiler: Session | null = null;
  process.on('message', async (message: { type: string; id: number; file?: string }) => {
    if (message.type === 'stats') {
      send({
        type: 'stats',
        id: message.id,
        cpu: process.cpuUsage(),
        memory: process.memoryUsage(),
        counters: hooks.counters?.() ?? {},
      });
    } else if (message.type === 'gc') {
      // Lets memory-per-subscriber samples start from a collected heap (needs --expose-gc).
      (globalThis as { gc?: () => void }).gc?.();
      send({ type: 'gc', id: message.id });
    } else if (message.type === 'profile-start') {
      // Profiles only the measured window, not start-up (unlike --cpu-prof).
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
      await profiler.post('Profiler.start');
      send({ type: 'profile-start', id: message.id });
    } else if (message.type === 'profile-stop' && profiler && message.file) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(message.file, JSON.stringify(profile));
      profiler.disconnect();
      profiler = null;
      send({ type: 'profile-stop', id: message.id });
    } else if (message.type === 'stop') {
      hooks.stop().finally(() => process.exit(0));
    }
  });
  // The driver died or let go of us: never outlive it.
  process.on('disconnect', () => hooks.stop().finally(() => process.exit(0)));
  send({ type: 'ready', url });
}
