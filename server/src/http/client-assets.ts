import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import sirv from 'sirv';

/** Vite's content-hashed build output: a changed file gets a new name, so cache it forever. */
const HASHED_ASSETS = '/assets/';

/**
 * sirv's types leave out the charset of text files; these are the text files a Vite build has.
 * A path without an extension is answered with an HTML page (index.html, or the app itself).
 */
const TEXT_TYPES: Record<string, string> = {
  '': 'text/html',
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.txt': 'text/plain',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
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

/**
 * Serves the built single-page app from `distDir` (routes.ts sends it the GET and HEAD requests
 * outside the API): a file of the build, or index.html for client-side routes (/templates/…).
 * Without a build it answers with a page that says how to make one.
 */
export function serveClientAssets(distDir: string) {
  const index = path.join(distDir, 'index.html');
  const files = sirv(distDir, {
    // Looks files up on disk per request instead of listing the build once: a client built or
    // rebuilt while the server runs is served without a restart.
    dev: true,
    etag: true,
    single: true,
    // A missing file under /assets/ or with an extension is a broken link, not a client route:
    // answering index.html there would hand a script tag an HTML page.
    ignores: [/^\/assets\//, /[^/]\.[^/]*$/],
    setHeaders(res, pathname) {
      res.setHeader(
        'Cache-Control',
        pathname.startsWith(HASHED_ASSETS) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      res.setHeader('X-Content-Type-Options', 'nosniff');
      const text = TEXT_TYPES[path.extname(pathname).toLowerCase()];
      if (text) res.setHeader('Content-Type', `${text}; charset=utf-8`);
    },
  });

  return (req: IncomingMessage, res: ServerResponse) => {
    if (!isWellFormed((req.url ?? '/').split('?', 1)[0] ?? '/')) {
      return reply(res, 400, 'text/plain', 'Bad Request');
    }
    files(req, res, () => {
      if (existsSync(index)) reply(res, 404, 'text/plain', 'Not Found');
      else reply(res, 503, 'text/html', NOT_BUILT_PAGE);
    });
  };
}

/** sirv serves what a path names inside its directory only, but lets malformed escapes through. */
function isWellFormed(pathname: string): boolean {
  try {
    return !decodeURIComponent(pathname).includes('\0');
  } catch {
    return false;
  }
}

function reply(res: ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  res.end(body);
}
