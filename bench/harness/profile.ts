import { readFileSync } from 'node:fs';
import { OUT_DIR } from './config.ts';
import type { ServerProcess } from './processes.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Self time by package / area, busiest first (idle excluded from the shares). */
  areas: Array<{ area: string; ms: number; share: number }>;
  /** Self time by function, busiest first. */
  functions: Array<{ name: string; area: string; ms: number; share: number }>;
  /** Inclusive time of frames whose area matches, e.g. everything under Prisma. */
  inclusive: Array<{ area: string; ms: number; share: number }>;
}

/** One profiled window as the report shows it. */
export interface LabelledProfile {
  label: string;
  requests: number;
  summary: ProfileSummary;
}

/**
 * Profiles one server during one load window (`load` returns how many requests or events it
 * made) and adds the summary to `profiles`.
 */
export function windowProfiler(profiles: LabelledProfile[], log: (line: string) => void) {
  return async (
    label: string,
    server: ServerProcess,
    seconds: number,
    load: () => Promise<number>,
  ) => {
    const file = `${OUT_DIR}/profiles/${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.cpuprofile`;
    const session = await server.profile(file);
    const requests = await load();
    await session.stop();
    profiles.push({ label, requests, summary: summariseProfile(file) });
    log(`profiled ${label} (${seconds} s): bench/out/profiles`);
  };
}
export type WindowProfiler = ReturnType<typeof windowProfiler>;

/** Which package or part of the app a frame belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native';
    return 'native';
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    const name = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? '?');
    return name.startsWith('.prisma') ? '@prisma/client' : name;
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  // The bench's own frames in a server process (the statement counter wraps every pg query, so
  // it is on the stack of all SQL work without costing it): not the server's time.
  if (/\/bench\/servers\/(promptmeter|child)\.ts$/.test(url)) return 'bench instrumentation';
  const app = url.match(/\/(server\/src\/.*)$/);
  if (app) return app[1]?.includes('/generated/') ? '@prisma/client (generated)' : 'promptmeter';
  return url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/');
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const areas = new Map<string, number>();
  const functions = new Map<string, { area: string; us: number }>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    total += us;
    if (area === 'idle') continue;
    busy += us;
    areas.set(area, (areas.get(area) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-1)[0]}:${lineNumber + 1}`;
    const entry = functions.get(key) ?? { area, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    // Charge this sample once to every distinct area on its stack (inclusive time).
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame) seen.add(areaOf(frame.url, frame.functionName));
    }
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
  const share = (us: number) => us / busy;
  return {
    file,
    totalMs: total / 1000,
    areas: [...areas]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => ({ area, ms: us / 1000, share: share(us) })),
    functions: [...functions]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([name, { area, us }]) => ({ name, area, ms: us / 1000, share: share(us) })),
    inclusive: [...inclusive]
      .filter(([area]) => !['native', 'V8/native', 'GC'].includes(area))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => ({ area, ms: us / 1000, share: share(us) })),
  };
}
