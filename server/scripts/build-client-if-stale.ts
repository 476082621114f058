// Runs before `npm start`: builds the web client when client/dist is missing or older than its
// sources, so a fresh clone (or a pulled change) serves the current UI with no extra command.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const built = path.join(root, 'client/dist/index.html');
const sources = ['client/src', 'client/index.html', 'client/vite.config.ts', 'schema.graphql'];

function newest(file: string): number {
  const stats = statSync(file);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(0, ...readdirSync(file).map((name) => newest(path.join(file, name))));
}

const builtAt = (() => {
  try {
    return statSync(built).mtimeMs;
  } catch {
    return 0;
  }
})();
const changedAt = Math.max(...sources.map((source) => newest(path.join(root, source))));

if (builtAt < changedAt) {
  console.log(
    builtAt ? 'client sources changed: rebuilding the UI…' : 'building the UI (first start)…',
  );
  const result = spawnSync(
    'npx',
    ['vite', 'build', '--config', 'client/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: root,
      stdio: 'inherit',
      // React's production build, whatever NODE_ENV the caller has.
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}
