import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Plugin } from 'graphql-yoga';

/** Paths the API answers itself; everything else that is a GET may be the single-page app. */
const API_PATHS = /^\/(?:graphql|health|dev)(?:\/|$)/;
/** Vite's content-hashed build output: a changed file gets a new name, so cache it forever. */
const HASHED_ASSETS = '/assets/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>promptmeter: the client is not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1c1d26}
code{background:#eef0ff;padding:.1em .3em;border-radius:4px}</style></head>
<body>
<h1>The web client is not built</h1>
<p>This server serves the promptmeter UI from <code>client/dist</code>, which does not exist yet.</p>
<ul>
<li>Build it once: <code>npm run build:client</code>, then reload this page.</li>
<li>Or, while working on the client: <code>npm run dev:client</code> and open
<a href="http://localhost:5173/">http://localhost:5173/</a> (Vite, with hot reload, proxying the API here).</li>
</ul>
<p>The API itself is up: <a href="/graphql">/graphql</a> (GraphiQL).</p>
</body></html>
`;

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer> | string | null;
}

interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  size: number;
  mtimeMs: number;
}

/**
 * Serves the built single-page app from `distDir` on the API's own server: GET and HEAD requests
 * outside /graphql, /health and /dev/* get a file of the build, or index.html for client-side
 * routes (/templates/…). Without a build it answers with a page that says how to make one.
 */
export function useClientAssets(options: { distDir: string }): Plugin {
  const root = path.resolve(options.distDir);
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      if (API_PATHS.test(url.pathname)) return;
      let reply: Reply;
      try {
        reply = await serve(root, url.pathname, request.headers.get('if-none-match'));
      } catch (error) {
        // Errors here would escape the server adapter (it does not catch onRequest hooks).
        console.error('[client-assets] failed to serve', url.pathname, error);
        reply = text('Internal Server Error', 500);
      }
      const body = request.method === 'HEAD' ? null : reply.body;
      endResponse(new fetchAPI.Response(body, { status: reply.status, headers: reply.headers }));
    },
  };
}

async function serve(root: string, pathname: string, ifNoneMatch: string | null): Promise<Reply> {
  const index = await readIfFile(path.join(root, 'index.html'));
  if (!index) {
    return html(NOT_BUILT_PAGE, 503, { 'cache-control': 'no-store' });
  }

  const filePath = resolveInside(root, pathname);
  if (!filePath) return text('Bad Request', 400);

  const file = filePath === root ? null : await readIfFile(filePath);
  if (file) {
    const hashed = pathname.startsWith(HASHED_ASSETS);
    return fileReply(file, filePath, ifNoneMatch, {
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  }
  // A missing file under /assets/ or with an extension is a broken link, not a client route:
  // answering index.html there would hand a script tag an HTML page.
  if (pathname.startsWith(HASHED_ASSETS) || path.extname(pathname) !== '') {
    return text('Not Found', 404);
  }
  return fileReply(index, path.join(root, 'index.html'), ifNoneMatch, {
    'cache-control': 'no-cache',
  });
}

/** The file `pathname` names under root, or null when it would leave root. */
function resolveInside(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const resolved = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  if (resolved !== root && !resolved.startsWith(root + path.sep)) return null;
  return resolved;
}

async function readIfFile(filePath: string): Promise<StaticFile | null> {
  try {
    const info = await stat(filePath);
    if (!info.isFile()) return null;
    return {
      body: new Uint8Array(await readFile(filePath)),
      size: info.size,
      mtimeMs: info.mtimeMs,
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw error;
  }
}

function fileReply(
  file: StaticFile,
  filePath: string,
  ifNoneMatch: string | null,
  headers: Record<string, string>,
): Reply {
  const etag = `W/"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
  const common = {
    etag,
    'last-modified': new Date(file.mtimeMs).toUTCString(),
    'x-content-type-options': 'nosniff',
    ...headers,
  };
  if (ifNoneMatch === etag) return { status: 304, headers: common, body: null };
  const type = CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
  return {
    status: 200,
    headers: { ...common, 'content-type': type, 'content-length': String(file.size) },
    body: file.body,
  };
}

function html(body: string, status: number, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers }, body };
}

function text(body: string, status: number): Reply {
  return {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    body,
  };
}
