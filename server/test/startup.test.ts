import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
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

function startServer(dataDir: string) {
  // As `npm start` runs it: tsx's launcher would SIGKILL the server 30 ms after relaying a signal
  // it does not see acknowledged.
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
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
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const url = output.match(/listening on (http:\/\/\S+)/)?.[1];
      if (url) resolve(url.replace('localhost', '127.0.0.1'));
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}:\n${output}`)));
  });
  return { child, ready, output: () => output };
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
  });
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
