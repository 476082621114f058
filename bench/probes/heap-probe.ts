/**
 * Heap per idle subscriber: one promptmeter process (production start, PostgreSQL), N graphql-ws
 * sockets of the owner each with one resumed executionLogged subscription as the fan-out swarm
 * subscribes. Reports (heap after − heap before) / N after forced GCs, for the sockets alone and
 * with their subscriptions. PROBE_SNAPSHOT=1 writes heap snapshots of the server (before the
 * sockets, after the subscriptions) to its working directory, for comparison.
 *   npx tsx bench/probes/heap-probe.ts [N]
 */

import { readdirSync, statSync } from 'node:fs';
import { type Client, createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { createAuthenticator } from '../../server/src/testing.ts';
import { FakeModel } from '../clients/fake-model.ts';
import { executeRun } from '../clients/run-client.ts';
import { ACTORS, RUN_TEMPLATE } from '../dataset/actors.ts';
import { databaseUrl, JWT_SECRET, PG_ADMIN_URL, promptmeterBenchEnv } from '../harness/config.ts';
import { startServerProcess } from '../harness/processes.ts';

const N = Number(process.argv[2] ?? 2000);
const DB = process.env.PROBE_DB ?? 'heap_probe';
const SUBSCRIPTION = `subscription Logged($templateId: ID!, $after: String) {
  executionLogged(templateId: $templateId, after: $after) { id status completedAt logPosition }
}`;

const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
await admin.query(`CREATE DATABASE ${DB}`);
await admin.end();

const model = await FakeModel.start();
const server = await startServerProcess('promptmeter', {
  name: 'heap-probe',
  databaseUrl: databaseUrl(DB),
  env: {
    ...promptmeterBenchEnv(model.url),
    ...(process.env.PROBE_SNAPSHOT ? { NODE_OPTIONS: '--heapsnapshot-signal=SIGUSR2' } : {}),
  },
});
const clients: Client[] = [];
let closing = false;
/** Warm-up clients, closed on purpose. */
const disposed = new WeakSet<Client>();
try {
  const db = new pg.Client({ connectionString: databaseUrl(DB) });
  await db.connect();
  const SERVER = '0b0b0b0b-0000-4000-8000-0000000000aa';
  await db.query(`INSERT INTO users (id, name) VALUES ($1, 'Bench Owner'), ($2, 'Bench Runner')`, [
    ACTORS.owner,
    ACTORS.runner,
  ]);
  await db.query(
    `INSERT INTO servers (id, name, registered_by, verified_owner_id) VALUES ($1, 'Bench', $2, $2)`,
    [SERVER, ACTORS.owner],
  );
  await db.query(
    `INSERT INTO templates (id, server_id, name, description, prompt, variables, model, max_tokens,
                            price_usdc, pay_to, network)
     VALUES ($1, $2, 'Run template', '', 'Bench run {{seq}}',
             '[{"name":"seq","description":"","required":true,"default":null}]', 'claude-bench',
             64, 0, '0x${'0'.repeat(40)}', 'eip155:84532')`,
    [RUN_TEMPLATE, SERVER],
  );
  await db.end();

  const authenticator = createAuthenticator(JWT_SECRET);
  const owner = await authenticator.mint({ sub: ACTORS.owner, name: 'Bench Owner' }, '1d');
  const caller = await authenticator.mint({ sub: ACTORS.runner, name: 'Bench Runner' }, '1d');
  let seq = 0;
  const seed = await executeRun(server.url, caller, ++seq);
  if (!seed.position) throw new Error(`seed run failed: ${seed.error}`);
  // Warm the server's code paths (one socket, one subscription, one event) before measuring.
  const heap = async () => {
    await server.gc();
    await server.gc();
    return (await server.sample()).memory.heapUsed;
  };
  /** A heap snapshot of the server (SIGUSR2), written to its working directory. */
  const snapshot = async () => {
    const snapshots = () => readdirSync('.').filter((name) => name.endsWith('.heapsnapshot'));
    const known = new Set(snapshots());
    process.kill(server.pid, 'SIGUSR2');
    let size = -1;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const file = snapshots().find((name) => !known.has(name));
      if (!file) continue;
      const now = statSync(file).size;
      if (now > 0 && now === size) return file;
      size = now;
    }
  };
  const received = new Map<Client, Set<string>>();
  const open = async (count: number) => {
    const batch = 50;
    for (let start = 0; start < count; start += batch) {
      const opened: Promise<void>[] = [];
      for (let i = start; i < Math.min(count, start + batch); i++) {
        opened.push(
          new Promise<void>((resolve, reject) => {
            const client = createClient({
              url: `${server.url.replace('http', 'ws')}/graphql`,
              webSocketImpl: WebSocket,
              connectionParams: { authorization: `Bearer ${owner}` },
              lazy: false,
              retryAttempts: 0,
              onNonLazyError: reject,
              on: { connected: () => resolve(), error: reject },
            });
            clients.push(client);
            received.set(client, new Set());
          }),
        );
      }
      await Promise.all(opened);
    }
  };
  const templateId = Buffer.from(`Template:${RUN_TEMPLATE}`).toString('base64');
  const subscribe = (list: Client[]) => {
    for (const client of list) {
      client.subscribe<{ executionLogged: { id: string; status: string } }>(
        { query: SUBSCRIPTION, variables: { templateId, after: seed.position } },
        {
          next: (result) => {
            const event = result.data?.executionLogged;
            if (event?.status && event.status !== 'RUNNING') received.get(client)?.add(event.id);
          },
          error: (error) => closing || disposed.has(client) || console.error('error', error),
          complete: () => closing || disposed.has(client) || console.error('completed early'),
        },
      );
    }
  };
  const everyoneGets = async (list: Client[]) => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const run = await executeRun(server.url, caller, ++seq);
      if (!run.id) throw new Error(`run failed: ${run.error}`);
      const id = Buffer.from(`Execution:${run.id}`).toString('base64');
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        if (list.every((client) => received.get(client)?.has(id))) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error('subscribers did not all receive an event');
  };
  // Warm-up: a few sockets with subscriptions, then closed, so lazily built state is counted once.
  await open(10);
  subscribe(clients.slice(0, 10));
  await everyoneGets(clients.slice(0, 10));
  for (const client of clients.splice(0, 10)) {
    disposed.add(client);
    await client.dispose();
  }
  await new Promise((resolve) => setTimeout(resolve, 500));

  const h0 = await heap();
  if (process.env.PROBE_SNAPSHOT) console.log(`snapshot before: ${await snapshot()}`);
  await open(N);
  const h1 = await heap();
  subscribe(clients);
  await everyoneGets(clients);
  const h2 = await heap();
  const kib = (bytes: number) => (bytes / 1024).toFixed(2);
  console.log(
    `N=${N}: socket ${kib((h1 - h0) / N)} KiB, subscription ${kib((h2 - h1) / N)} KiB, total ${kib((h2 - h0) / N)} KiB per subscriber (heap ${(h0 / 2 ** 20).toFixed(1)} → ${(h2 / 2 ** 20).toFixed(1)} MiB)`,
  );
  if (process.env.PROBE_SNAPSHOT) console.log(`snapshot after: ${await snapshot()}`);
} finally {
  closing = true;
  await Promise.allSettled(clients.map((client) => client.dispose()));
  await server.stop();
  await model.close();
}
