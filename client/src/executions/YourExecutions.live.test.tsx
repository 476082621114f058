import { CombinedGraphQLErrors } from '@apollo/client';
import { act, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { socketReconnected } from '../apollo/socketEvents.ts';
import { execution, executionsConnection } from '../test/factories.ts';
import { renderWithApollo } from '../test/renderWithApollo.tsx';
import { YourExecutions, YourExecutionsQuery } from './YourExecutions.tsx';

const templateId = 'VGVtcGxhdGU6MQ==';
const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();
type Run = ReturnType<typeof execution>;

/** The panel with E2 and E1 loaded (E2 newest, at position p2), live. */
async function renderLivePanel() {
  const history = executionsConnection([
    execution('E2', { createdAt: secondsAgo(120), logPosition: 'p2', inputTokens: 2 }),
    execution('E1', { createdAt: secondsAgo(300), logPosition: 'p1', inputTokens: 1 }),
  ]);
  const view = renderWithApollo(<YourExecutions templateId={templateId} />, {
    mocks: [
      {
        request: { query: YourExecutionsQuery, variables: { templateId, first: 5 } },
        result: { data: { myExecutions: history } },
      },
    ],
  });
  await screen.findAllByRole('listitem');
  await waitFor(() => expect(view.requests).toEqual(['YourExecutionsQuery', 'ExecutionLogged']));
  const send = (...runs: Run[]) => {
    for (const run of runs) {
      act(() => view.subscriptions.simulateResult({ result: { data: { executionLogged: run } } }));
    }
  };
  const streams = () => view.requests.filter((name) => name === 'ExecutionLogged').length;
  return {
    ...view,
    send,
    streams,
    resumedAfter: () => view.subscriptions.operation?.variables.after,
  };
}

const rows = () => screen.queryAllByRole('listitem');
/** Each run of these tests has its own input token count: the rows' ids, as the user sees them. */
const rowTokens = () =>
  rows().map((row) => /(\d+) in/.exec(row.textContent ?? '')?.[1] ?? 'running');
const count = () => screen.getByRole('button', { name: /Your Executions/ }).textContent;

describe('YourExecutions, live', () => {
  it('starts the stream after the newest loaded run, so nothing since the query is missed', async () => {
    const { resumedAfter } = await renderLivePanel();
    expect(resumedAfter()).toBe('p2');
  });

  it('shows a run when it starts, then changes that same row in place when it ends', async () => {
    const { send } = await renderLivePanel();
    send(execution('E3', { status: 'RUNNING', inputTokens: null, outputTokens: null }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(rows()[0]?.getAttribute('data-status')).toBe('RUNNING');
    expect(rows()[0]?.textContent).toMatch(/Running · \d+ s/);
    expect(count()).toBe('Your Executions3');

    send(execution('E3', { status: 'SUCCESS', inputTokens: 77, logPosition: 'p3-end' }));
    await waitFor(() => expect(rows()[0]?.getAttribute('data-status')).toBe('SUCCESS'));
    expect(rows()).toHaveLength(3);
    expect(rows()[0]?.textContent).toContain('77 in · 40 out');
    expect(rows()[0]?.textContent).not.toContain('Running');
    expect(count()).toBe('Your Executions3');
  });

  it('resumes after the last event when the server ends the stream: every run once', async () => {
    const { send, subscriptions, streams, resumedAfter } = await renderLivePanel();
    const started = { createdAt: secondsAgo(30), status: 'RUNNING' as const, inputTokens: null };
    send(execution('E3', { ...started, logPosition: 'p3' }));
    send(execution('E4', { createdAt: secondsAgo(20), logPosition: 'p4', inputTokens: 4 }));
    await waitFor(() => expect(rows()).toHaveLength(4));
    expect(rowTokens()).toEqual(['4', 'running', '2', '1']);

    act(() => subscriptions.simulateComplete());
    await waitFor(() => expect(streams()).toBe(2), { timeout: 3000 });
    expect(resumedAfter()).toBe('p4');

    // The catch-up: E3 ended while the stream was down, E5 ran, and E4 comes again.
    send(
      execution('E3', { createdAt: secondsAgo(30), inputTokens: 3, logPosition: 'p5' }),
      execution('E4', { createdAt: secondsAgo(20), logPosition: 'p4', inputTokens: 4 }),
      execution('E5', { createdAt: secondsAgo(10), logPosition: 'p6', inputTokens: 5 }),
    );
    await waitFor(() => expect(rowTokens()).toEqual(['5', '4', '3', '2', '1']));
    expect(count()).toBe('Your Executions5');

    // A stream ended with an error resumes the same way, from the newest event.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    act(() => subscriptions.simulateResult({ error: new Error('Socket closed') }));
    await waitFor(() => expect(streams()).toBe(3), { timeout: 3000 });
    expect(resumedAfter()).toBe('p6');
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('resuming'), expect.any(Error));
    warn.mockRestore();
  });

  it('resubscribes after the last event when the socket reconnects, and refetches nothing', async () => {
    const { send, streams, resumedAfter, requests } = await renderLivePanel();
    send(execution('E3', { logPosition: 'p3' }));
    await waitFor(() => expect(rows()).toHaveLength(3));

    act(() => socketReconnected());
    expect(streams()).toBe(2);
    expect(resumedAfter()).toBe('p3');
    send(execution('E3', { logPosition: 'p3' }), execution('E4', { logPosition: 'p4' }));
    await waitFor(() => expect(rows()).toHaveLength(4));
    expect(count()).toBe('Your Executions4');
    expect(requests.filter((name) => name === 'YourExecutionsQuery')).toHaveLength(1);
  });

  it('re-reads an empty history when the socket reconnects before any event (no position yet)', async () => {
    const request = { query: YourExecutionsQuery, variables: { templateId, first: 5 } };
    const empty = { data: { myExecutions: executionsConnection([]) } };
    const missed = { data: { myExecutions: executionsConnection([execution('E1')]) } };
    const { requests, subscriptions } = renderWithApollo(
      <YourExecutions templateId={templateId} />,
      {
        mocks: [
          { request, result: empty },
          { request, result: missed },
        ],
      },
    );
    await waitFor(() => expect(requests).toEqual(['YourExecutionsQuery', 'ExecutionLogged']));
    expect(subscriptions.operation?.variables.after).toBeNull();

    act(() => socketReconnected());
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(requests).toEqual([
      'YourExecutionsQuery',
      'ExecutionLogged',
      'ExecutionLogged',
      'YourExecutionsQuery',
    ]);
  });

  it('starts live and re-reads the history when the server refuses the position', async () => {
    const request = { query: YourExecutionsQuery, variables: { templateId, first: 5 } };
    const history = (...runs: Run[]) => ({ data: { myExecutions: executionsConnection(runs) } });
    const { requests, subscriptions } = renderWithApollo(
      <YourExecutions templateId={templateId} />,
      {
        mocks: [
          { request, result: history(execution('E1', { logPosition: 'stale' })) },
          { request, result: history(execution('E2'), execution('E1')) },
        ],
      },
    );
    await waitFor(() => expect(requests).toEqual(['YourExecutionsQuery', 'ExecutionLogged']));
    expect(subscriptions.operation?.variables.after).toBe('stale');

    const refused = new CombinedGraphQLErrors({
      errors: [
        {
          message: 'Not a log position of this server.',
          extensions: { code: 'BAD_USER_INPUT', field: 'after' },
        },
      ],
    });
    act(() => subscriptions.simulateResult({ error: refused }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(requests.filter((name) => name === 'ExecutionLogged')).toHaveLength(2);
    expect(subscriptions.operation?.variables.after).toBeNull();
  });

  it("shows a running run's elapsed time, ticking each second, outside any live region", async () => {
    const { send } = await renderLivePanel();
    send(execution('E3', { status: 'RUNNING', createdAt: secondsAgo(65) }));
    const elapsed = await screen.findByText(/^Running · 1 min \d+ s$/);
    const first = elapsed.textContent;
    await waitFor(() => expect(elapsed.textContent).not.toBe(first), { timeout: 3000 });
    expect(elapsed.textContent).toMatch(/^Running · 1 min \d+ s$/);
    expect(elapsed.closest('[aria-live]')).toBeNull();
  });
});
