import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';

// Done-when 1: what a newcomer does after `npm install` — start the server on an empty data
// directory, mint a token, run a demo template, watch it arrive live — run as real processes.
const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

/** `npm start`'s prestart: builds the web UI and the server bundle when stale; its output. */
function prestart(cwd = root) {
  const result = spawnSync('npm', ['run', '-s', 'prestart'], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`prestart failed:\n${result.stdout}${result.stderr}`);
  return result.stdout.trim();
}

function startServer(dataDir: string) {
  // As `npm start` runs it (npm execs node on the bundle), without npm in between: the test
  // signals the server itself.
  const child = spawn(process.execPath, ['dist/server/main.js'], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: '',
      ANTHROPIC_API_KEY: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      // The sweeper waits one lease of its own before it sweeps: keep the test short.
      INSTANCE_LEASE_MS: '1000',
    },
  });
  return { child, ...serverOutput(child) };
}

/** Resolves with the server's URL once its banner says it listens. */
function serverOutput(child: ChildProcess) {
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const url = output.match(/listening on (http:\/\/\S+)/)?.[1];
      if (url) resolve(url.replace('localhost', '127.0.0.1'));
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}:\n${output}`)));
  });
  return { ready, output: () => output };
}

function stop(child: ChildProcess) {
  return new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

async function gql(url: string, query: string, variables = {}, token?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data: any; errors?: any[] };
}

describe('a fresh `npm start`', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'promptmeter-start-'));
    prestart();
  }, 180_000);
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('serves GraphiQL with demo data, runs a template, and streams the run live', {
    timeout: 120_000,
  }, async () => {
    const server = startServer(dataDir);
    const url = await server.ready;
    expect(server.output()).toMatch(/OFFLINE MODEL/);
    expect(server.output()).toMatch(/embedded PostgreSQL \(PGlite\)/);

    const graphiql = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
    expect(graphiql.status).toBe(200);
    const page = await graphiql.text();
    expect(page).toMatch(/promptmeter/);
    // Served from the package, so it works offline; and signed in as the demo user "alice".
    expect(page).not.toMatch(/unpkg\.com|jsdelivr|cdn\./);
    expect(page).toMatch(/Authorization.*Bearer ey/);

    // The web UI, from client/dist: its page and the script the page loads.
    const home = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
    expect(home.status).toBe(200);
    const script = (await home.text()).match(/<script[^>]+src="([^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    const bundle = await fetch(new URL(script as string, url));
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);

    const { stdout } = await promisify(execFile)(tsx, ['server/scripts/token.ts', 'alice'], {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir },
    });
    const token = stdout.trim();

    const catalogue = await gql(
      url,
      `{ templates { totalCount edges { node { id name priceUsdc owner { name } } } } }`,
    );
    expect(catalogue.data.templates.totalCount).toBe(2);
    const free = catalogue.data.templates.edges.find(
      (edge: any) => edge.node.priceUsdc === '0',
    ).node;
    expect(free.owner.name).toBe('Demo Owner');

    const socket = createClient({
      url: `${url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    const event = new Promise<any>((resolve, reject) => {
      socket.subscribe(
        {
          query: `subscription($id: ID!) { executionLogged(templateId: $id) { id status outputTokens } }`,
          variables: { id: free.id },
        },
        {
          // The run's start may come first (RUNNING); its end is the event this waits for.
          next: (result: any) => {
            if (result.data?.executionLogged?.status !== 'RUNNING') resolve(result);
          },
          error: reject,
          complete: () => {},
        },
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // graphql-ws sends no "subscribed" ack
    const run = await gql(
      url,
      `mutation($id: ID!) { executeTemplate(input: { templateId: $id, variables: { topic: "tides" } }) { output execution { id status outputTokens } } }`,
      { id: free.id },
      token,
    );
    expect(run.data.executeTemplate.output).toMatch(/offline model/);
    expect(run.data.executeTemplate.execution.status).toBe('SUCCESS');
    expect((await event).data.executionLogged).toEqual(run.data.executeTemplate.execution);
    await socket.dispose();
    expect(await stop(server.child)).toBe(0);

    // A run left `running` by a crash (here an old one, from before instance leases) is failed as
    // "interrupted" once the server is up again.
    const pglite = await PGlite.create(path.join(dataDir, 'pglite'));
    await pglite.query(
      `INSERT INTO x402_prompt_template_usage_logs (template_id, caller_id, status, created_at)
       SELECT template_id, caller_id, 'running', now() - interval '1 day' FROM x402_prompt_template_usage_logs LIMIT 1`,
    );
    await pglite.close();
    const again = startServer(dataDir);
    const secondUrl = await again.ready;
    await vi.waitFor(() => expect(again.output()).toMatch(/marked 1 interrupted run/), {
      timeout: 20_000,
      interval: 100,
    });
    expect(again.output()).not.toMatch(/seeded demo data/);
    const history = await gql(
      secondUrl,
      `query($id: ID!) { myExecutions(templateId: $id) { totalCount edges { node { status errorMessage } } } }`,
      { id: free.id },
      token,
    );
    expect(history.data.myExecutions.totalCount).toBe(2);
    expect(history.data.myExecutions.edges.map((edge: any) => edge.node)).toContainEqual({
      status: 'FAILED',
      errorMessage: 'interrupted',
    });
    expect(await stop(again.child)).toBe(0);
  });
});

describe('`npm start` after a server source changed', () => {
  let copy: string;
  beforeAll(async () => {
    // A checkout of its own (node_modules shared), so editing a source touches no one else's.
    copy = await mkdtemp(path.join(os.tmpdir(), 'promptmeter-checkout-'));
    for (const entry of ['server/src', 'server/scripts', 'prisma/migrations', 'package.json']) {
      await cp(path.join(root, entry), path.join(copy, entry), { recursive: true });
    }
    await symlink(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
  });
  afterAll(() => rm(copy, { recursive: true, force: true }));

  /** `npm start` as a user runs it, in its own process group (npm, then the server). */
  async function npmStart(dataDir: string) {
    const child = spawn('npm', ['start'], {
      cwd: copy,
      detached: true,
      env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', NODE_ENV: '' },
    });
    const server = serverOutput(child);
    const url = await server.ready;
    const answer = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ templates { totalCount } }' }),
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
    return { output: server.output(), answer: (await answer.json()) as any };
  }

  it('runs the edited code, and an unchanged one is not rebuilt', {
    timeout: 180_000,
  }, async () => {
    const dataDir = path.join(copy, '.data');
    const first = await npmStart(dataDir);
    expect(first.output).toMatch(/building the server \(first start\)/);
    expect(first.answer.data.templates.totalCount).toBe(2);

    const serverTs = path.join(copy, 'server/src/server.ts');
    const source = await readFile(serverTs, 'utf8');
    await writeFile(serverTs, source.replace('promptmeter listening on', 'edited listening on'));
    const second = await npmStart(dataDir);
    expect(second.output).toMatch(/server sources changed: rebuilding the server/);
    expect(second.output).toMatch(/edited listening on/);
    expect(second.answer.data.templates.totalCount).toBe(2);

    expect(prestart(copy)).toBe('');
  });
});
