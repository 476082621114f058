// Runs before `npm start` (prestart), in plain JavaScript because it runs at every start and
// tsx's own start-up would cost more than the check. Builds what is missing or older than its
// sources: the web UI (client/dist, by Vite) and the server bundle (dist/server, by esbuild), so
// a fresh clone or a pulled change starts current code with no extra command.
// `node server/scripts/build-if-stale.js [client|server]`: only that one.
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_OUT = path.join(root, 'dist/server');
/** What `npm start` runs; written last, so its presence means a whole bundle. */
export const SERVER_ENTRY = path.join(SERVER_OUT, 'main.js');

/** Newest modification time under `file`; a directory's own time counts (a deleted file). */
function newest(file) {
  const stats = statSync(file, { throwIfNoEntry: false });
  if (!stats) return 0;
  if (!stats.isDirectory()) return /\.test\.tsx?$/.test(file) ? 0 : stats.mtimeMs;
  const inside = readdirSync(file).map((name) => newest(path.join(file, name)));
  return Math.max(stats.mtimeMs, ...inside);
}

/** Whether `built` is missing or older than the newest of `sources`. */
function isStale(built, sources) {
  const builtAt = statSync(built, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const changedAt = Math.max(...sources.map((source) => newest(path.join(root, source))));
  return { stale: builtAt < changedAt, first: builtAt === 0 };
}

export function buildClientIfStale() {
  const sources = ['client/src', 'client/index.html', 'client/vite.config.ts', 'schema.graphql'];
  const { stale, first } = isStale(path.join(root, 'client/dist/index.html'), sources);
  if (!stale) return;
  console.log(
    first ? 'building the UI (first start)…' : 'client sources changed: rebuilding the UI…',
  );
  const result = spawnSync(
    'npx',
    ['vite', 'build', '--config', 'client/vite.config.ts', '--logLevel', 'warn'],
    // React's production build, whatever NODE_ENV the caller has.
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Packages `npm start` loads from node_modules rather than from the bundle, and why. */
const KEEP_EXTERNAL = [
  // Reads its .wasm and .data files beside its own module.
  '@electric-sql/pglite',
  '@electric-sql/pglite/*',
  // Reads its package.json by __dirname; needed only with REDIS_URL.
  'ioredis',
  // The query compiler (several MB of WASM as base64): one file either way, loaded as Prisma ships it.
  '@prisma/client',
  '@prisma/client/*',
  // GraphiQL's page (~9 MB), imported on its first request only.
  '@graphql-yoga/render-graphiql',
  '@graphql-yoga/render-graphiql/*',
  // Optional native add-ons that pg and ws try to require and do without.
  'pg-native',
  'bufferutil',
  'utf-8-validate',
];

/**
 * A bundled file's `import.meta.url` is the bundle's: each source's is rewritten to the URL it
 * had under server/src, so paths it resolves from it (prisma/migrations, client/dist) still hold.
 */
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /[\\/]server[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      const fromBundle = path.relative(SERVER_OUT, args.path).split(path.sep).join('/');
      const url = `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

export async function buildServerIfStale() {
  const sources = [
    'server/src',
    'tsconfig.json',
    'package.json',
    'server/scripts/build-if-stale.js',
  ];
  const { stale, first } = isStale(SERVER_ENTRY, sources);
  if (!stale) return;
  console.log(
    first ? 'building the server (first start)…' : 'server sources changed: rebuilding the server…',
  );
  const startedAt = new Date();
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [path.join(root, 'server/src/main.ts')],
    outdir: SERVER_OUT,
    bundle: true,
    // main.ts loads server.ts dynamically, after its signal handlers: a chunk of its own, beside
    // main.js (sourceUrls' relative URLs assume every output file sits in SERVER_OUT).
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Packages are bundled too: Node's ESM loader resolving and reading ~1,500 files of them
    // was most of a start. Those in KEEP_EXTERNAL load from node_modules.
    external: KEEP_EXTERNAL,
    // Bundled CommonJS code calls require() for Node's built-ins and the external packages.
    banner: {
      js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);",
    },
    keepNames: true,
    sourcemap: 'linked',
    plugins: [sourceUrls],
    write: false,
    logLevel: 'warning',
  });
  // Chunks first, the entry last and each by rename: a start that runs meanwhile (another
  // instance, another test worker) finds the old bundle or the new one, never half of one.
  const files = result.outputFiles.sort(
    (a, b) => (a.path === SERVER_ENTRY) - (b.path === SERVER_ENTRY),
  );
  for (const file of files) {
    mkdirSync(path.dirname(file.path), { recursive: true });
    const partial = `${file.path}.${process.pid}.tmp`;
    writeFileSync(partial, file.contents);
    renameSync(partial, file.path);
  }
  // Sources saved while it built are newer than the bundle: the next start rebuilds.
  utimesSync(SERVER_ENTRY, startedAt, startedAt);
  removeOldChunks(new Set(files.map((file) => file.path)));
}

/** Chunks of earlier builds (kept a while: a process that started on them may still load one). */
function removeOldChunks(current) {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(SERVER_OUT)) {
    const file = path.join(SERVER_OUT, name);
    if (!current.has(file) && statSync(file).mtimeMs < hourAgo) rmSync(file, { force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const only = process.argv[2];
  if (only !== 'server') buildClientIfStale();
  if (only !== 'client') await buildServerIfStale();
}
