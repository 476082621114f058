import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rowResultCounters, rowResultKey } from '../../src/http/plugins/row-results.ts';
import { schema } from '../../src/schema/index.ts';
import { createTemplate, execute } from '../support/operations.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { until } from './shared-subscriptions-support.ts';

const ROW_ONLY = `subscription Rows($templateId: ID!, $after: String) {
  executionLogged(templateId: $templateId, after: $after) { id status logPosition }
}`;

/** A graphql-ws socket spoken by hand, keeping each message's text as the server wrote it. */
async function textSocket(app: TestApp, token: string) {
  const socket = new WebSocket(`${app.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const texts: string[] = [];
  socket.on('message', (data) => texts.push(String(data)));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(
    JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
  );
  await until(() => texts.some((text) => text.includes('connection_ack')), 'connection_ack');
  return {
    subscribe: (id: string, variables: object) =>
      socket.send(
        JSON.stringify({ id, type: 'subscribe', payload: { query: ROW_ONLY, variables } }),
      ),
    /** The `next` messages of subscription `id`, as text. */
    nexts: (id: string) =>
      texts.filter((text) => {
        const message = JSON.parse(text);
        return message.type === 'next' && message.id === id;
      }),
    close: () => socket.close(),
  };
}

const payloadText = (frame: string) => frame.slice(frame.indexOf('"payload":') + 10, -1);
const rowOf = (frame: string) => JSON.parse(frame).payload.data.executionLogged;

describe('live frames shared across sockets', () => {
  let app: TestApp;
  let owner: string;
  let caller: string;
  let otherCaller: string;
  let stranger: string;
  let templateId: string;

  const run = async (token: string) => {
    // Slow enough for every stream to see the RUNNING row before the final one.
    app.modelServer.enqueue({ kind: 'delay', ms: 300 });
    const result = await execute(app, token, templateId);
    expect(result.errors).toBeUndefined();
    return result.data?.executeTemplate.execution.id as string;
  };

  beforeAll(async () => {
    app = await startTestApp();
    [owner, caller, otherCaller, stranger] = await Promise.all([
      app.token('olive'),
      app.token('carl'),
      app.token('cora'),
      app.token('stan'),
    ]);
    templateId = await createTemplate(app, owner);
  });
  afterAll(() => app?.close());

  it('writes one serialised result to every subscription that receives it, each under its own id, and none to a viewer who may not read the row', async () => {
    const owners = await textSocket(app, owner);
    const callers = await textSocket(app, caller);
    const strangers = await textSocket(app, stranger);
    let since = app.subscriptionsStarted();
    owners.subscribe('first', { templateId });
    owners.subscribe('second', { templateId });
    callers.subscribe('7', { templateId });
    strangers.subscribe('s', { templateId });
    await app.waitForSubscribers(4, since);

    const warmUp = await run(caller);
    await until(() => owners.nexts('first').length >= 2, "the first run's events");
    const position = rowOf(owners.nexts('first').at(-1) as string).logPosition;
    // A resumed stream on another socket, with nothing to catch up on: it then takes the feed's
    // rows, as the others do.
    const resumed = await textSocket(app, owner);
    since = app.subscriptionsStarted();
    resumed.subscribe('resumed', { templateId, after: position });
    await app.waitForSubscribers(1, since);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const executed = rowResultCounters.executed;
    const callersRun = await run(caller);
    const othersRun = await run(otherCaller);
    const readers = [
      { socket: owners, id: 'first', runs: [warmUp, callersRun, othersRun] },
      { socket: owners, id: 'second', runs: [warmUp, callersRun, othersRun] },
      { socket: callers, id: '7', runs: [warmUp, callersRun] },
      { socket: resumed, id: 'resumed', runs: [callersRun, othersRun] },
    ];
    for (const { socket, id, runs } of readers)
      await until(
        () =>
          socket.nexts(id).filter((frame) => rowOf(frame).status !== 'RUNNING').length >=
          runs.length,
        `the final rows of ${id}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Two runs, two states each: four results executed, however many subscriptions took them.
    expect(rowResultCounters.executed - executed).toBe(4);
    const payloadsByState = new Map<string, Set<string>>();
    for (const { socket, id, runs } of readers) {
      const frames = socket.nexts(id);
      const finals = frames.map(rowOf).filter((row) => row.status !== 'RUNNING');
      expect(finals.map((row) => Buffer.from(row.id, 'base64').toString())).toEqual(
        runs.map((run) => Buffer.from(run, 'base64').toString()),
      );
      for (const frame of frames) {
        // The frame is graphql-ws' own shape, with this subscription's id.
        expect(frame.startsWith(`{"id":"${id}","type":"next","payload":{"data":`)).toBe(true);
        const row = rowOf(frame);
        const state = `${row.id} ${row.status}`;
        payloadsByState.set(
          state,
          (payloadsByState.get(state) ?? new Set()).add(payloadText(frame)),
        );
      }
    }
    // One payload text per row state, whichever subscription carried it.
    for (const payloads of payloadsByState.values()) expect(payloads.size).toBe(1);
    // The caller never gets the other caller's row; the stranger gets nothing.
    expect(
      callers
        .nexts('7')
        .map(rowOf)
        .map((row) => row.id),
    ).not.toContain(othersRun);
    expect(strangers.nexts('s')).toEqual([]);
    for (const socket of [owners, callers, strangers, resumed]) socket.close();
  });
});

describe('which subscriptions share row results', () => {
  const key = (query: string) => rowResultKey({ schema, document: parse(query) });

  it("shares a selection of the row's columns only", () => {
    expect(key(ROW_ONLY)).not.toBeNull();
    expect(
      key('subscription { executionLogged(templateId: "x") { __typename id createdAt } }'),
    ).not.toBeNull();
  });

  it('executes per viewer whatever may depend on the viewer or on variables', () => {
    // Relations are read as the viewer (RLS on templates and users).
    expect(
      key('subscription { executionLogged(templateId: "x") { id caller { name } } }'),
    ).toBeNull();
    expect(
      key('subscription { executionLogged(templateId: "x") { id template { id } } }'),
    ).toBeNull();
    expect(
      key(
        'subscription($s: Boolean!) { executionLogged(templateId: "x") { id status @include(if: $s) } }',
      ),
    ).toBeNull();
    expect(
      key('subscription { executionLogged(templateId: "x") { ... on Execution { id } } }'),
    ).toBeNull();
    expect(
      key('subscription { runTemplate(input: { templateId: "x" }) { __typename } }'),
    ).toBeNull();
  });
});
