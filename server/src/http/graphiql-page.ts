import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphiQLOptions } from 'graphql-yoga';

/** Where GraphiQL's script, style, editor workers and icon are served, under hashed names. */
export const GRAPHIQL_ASSETS = '/graphql/assets/';

interface Asset {
  body: Buffer;
  type: string;
}

interface GraphiQLAssets {
  files: Map<string, Asset>;
  script: string;
  style: string;
  favicon: string;
  /** Monaco's workers by label, as @graphql-yoga/render-graphiql names them. */
  workers: Record<string, string>;
  /** The two steps the page used to inline, as files: the CSP allows no inline script. */
  setup: string;
  start: string;
}

// Read their data from the page's JSON block (data, not script, for the CSP).
const SETUP_SCRIPT = `{
  const config = JSON.parse(document.getElementById('graphiql-config').textContent);
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: (moduleId, label) => config.workers[label],
  };
}
`;
const START_SCRIPT = `{
  const config = JSON.parse(document.getElementById('graphiql-config').textContent);
  YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), config.options);
}
`;

let assets: Promise<GraphiQLAssets> | undefined;

/**
 * GraphiQL's build from the installed @graphql-yoga/render-graphiql (so it works offline), whose
 * renderGraphiQL inlines all of it (~9 MB) in the page: split into files once, on first use.
 */
function graphiqlAssets(): Promise<GraphiQLAssets> {
  assets ??= import('@graphql-yoga/render-graphiql/graphiql').then(async (build) => {
    const files = new Map<string, Asset>();
    const add = (name: string, extension: string, type: string, body: Buffer) => {
      const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
      files.set(`${name}-${hash}${extension}`, { body, type });
      return `${GRAPHIQL_ASSETS}${name}-${hash}${extension}`;
    };
    const script = (name: string, source: string) =>
      add(name, '.js', 'text/javascript; charset=utf-8', Buffer.from(source));
    // The icon is a data: URL, which fetch reads (type and bytes) without the network.
    const icon = await fetch(build.favicon);
    return {
      files,
      setup: script('monaco-environment', SETUP_SCRIPT),
      start: script('graphiql-start', START_SCRIPT),
      script: script('graphiql', build.js),
      style: add('graphiql', '.css', 'text/css; charset=utf-8', Buffer.from(build.css)),
      favicon: add(
        'favicon',
        '.ico',
        icon.headers.get('content-type') ?? 'image/x-icon',
        Buffer.from(await icon.arrayBuffer()),
      ),
      workers: {
        editorWorkerService: script('editor-worker', build.editorWorkerService),
        json: script('json-worker', build.jsonWorker),
        graphql: script('graphql-worker', build.graphqlWorker),
      },
    };
  });
  return assets;
}

/** For a <script>: JSON that cannot close the element it is in. */
const inline = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * GraphiQL's page as @graphql-yoga/render-graphiql's renderGraphiQL writes it, with its script,
 * style, workers and icon linked instead of inlined: a few KB, the rest cached by the browser.
 */
export async function renderGraphiQLPage(options: GraphiQLOptions): Promise<string> {
  const { script, style, favicon, workers, setup, start } = await graphiqlAssets();
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${options.title || 'Yoga GraphiQL'}</title>
    <link rel="icon" href="${options.favicon || favicon}" />
    <link rel="stylesheet" href="${style}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script type="application/json" id="graphiql-config">${inline({ workers, options })}</script>
    <script src="${setup}"></script>
    <script src="${script}"></script>
    <script src="${start}"></script>
  </body>
</html>
`;
}

/** GET and HEAD of a GraphiQL asset: named by its content, so cached for good. */
export async function serveGraphiQLAsset(req: IncomingMessage, res: ServerResponse) {
  const name = (req.url ?? '').split('?', 1)[0]?.slice(GRAPHIQL_ASSETS.length) ?? '';
  const asset = (await graphiqlAssets()).files.get(name);
  if (!asset) {
    res.writeHead(404, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end('Not Found');
    return;
  }
  res.writeHead(200, {
    'content-type': asset.type,
    'content-length': asset.body.byteLength,
    'cache-control': 'public, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
  });
  res.end(asset.body);
}
