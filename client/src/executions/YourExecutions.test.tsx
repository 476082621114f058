import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { execution, executionsConnection } from '../test/factories.ts';
import { renderWithApollo } from '../test/renderWithApollo.tsx';
import { EMPTY_HISTORY_TEXT, YourExecutions, YourExecutionsQuery } from './YourExecutions.tsx';

const templateId = 'VGVtcGxhdGU6MQ==';
const request = { query: YourExecutionsQuery, variables: { templateId, first: 5 } };
const minutesAgo = (minutes: number) =>
  new Date(Date.now() - minutes * 60_000 - 5_000).toISOString();

function historyMock(connection: ReturnType<typeof executionsConnection>, delay = 0) {
  return { request, delay, result: { data: { myExecutions: connection } } };
}

const rows = () => screen.queryAllByRole('listitem');

describe('YourExecutions', () => {
  it('shows a loading state while the history loads', async () => {
    renderWithApollo(<YourExecutions templateId={templateId} />, {
      mocks: [historyMock(executionsConnection([]), 50)],
    });
    expect(screen.getByRole('status').textContent).toContain('Loading your executions…');
    expect(await screen.findByText(EMPTY_HISTORY_TEXT)).toBeTruthy();
  });

  it('shows the empty state when the viewer never ran the template', async () => {
    renderWithApollo(<YourExecutions templateId={templateId} />, {
      mocks: [historyMock(executionsConnection([]))],
    });
    expect(
      await screen.findByText('No executions yet. Run this template to see your history.'),
    ).toBeTruthy();
    expect(screen.getByRole('button', { name: /Your Executions/ }).textContent).toContain('0');
  });

  it('shows an error with a way to retry', async () => {
    renderWithApollo(<YourExecutions templateId={templateId} />, {
      mocks: [
        {
          request,
          result: {
            errors: [{ message: 'database is down', extensions: { code: 'INTERNAL' } }],
          },
        },
        historyMock(executionsConnection([execution('E1')])),
      ],
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load your executions: database is down');
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByRole('listitem')).toHaveLength(1);
  });

  it('renders each run: status dot, relative time with the exact time on hover, tokens, amount', async () => {
    renderWithApollo(<YourExecutions templateId={templateId} />, {
      mocks: [
        historyMock(
          executionsConnection([
            execution('E3', { status: 'RUNNING', inputTokens: null, outputTokens: null }),
            execution('E2', {
              status: 'FAILED',
              errorMessage: 'Anthropic API error 529 overloaded_error',
              createdAt: minutesAgo(2),
              outputTokens: null,
            }),
            execution('E1', {
              status: 'SUCCESS',
              amountPaid: '0.010000',
              inputTokens: 1234,
              createdAt: minutesAgo(60 * 26),
            }),
          ]),
        ),
      ],
    });
    await screen.findAllByRole('listitem');
    const [running, failed, succeeded] = rows();
    if (!running || !failed || !succeeded) throw new Error('expected three rows');

    expect(within(running).getByRole('img', { name: 'Running' }).getAttribute('data-status')).toBe(
      'RUNNING',
    );
    expect(running.textContent).toContain('just now');
    expect(running.textContent).toMatch(/Running · \d+ s/);

    expect(within(failed).getByRole('img', { name: 'Failed' }).getAttribute('data-status')).toBe(
      'FAILED',
    );
    const time = within(failed).getByText('2 minutes ago');
    expect(time.tagName).toBe('TIME');
    expect(time.getAttribute('title')).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    expect(failed.textContent).toContain('Anthropic API error 529 overloaded_error');
    expect(failed.textContent).toContain('12 in · – out');
    expect(failed.textContent).toContain('Free');

    expect(within(succeeded).getByRole('img', { name: 'Succeeded' })).toBeTruthy();
    expect(succeeded.textContent).toContain('yesterday');
    expect(succeeded.textContent).toContain('1,234 in · 40 out');
    expect(succeeded.textContent).toContain('0.01 USDC');
    expect(screen.queryByRole('link', { name: /View all/ })).toBeNull();
  });

  it('shows the 5 most recent runs, and "View all" only when there are more', async () => {
    const five = ['E5', 'E4', 'E3', 'E2', 'E1'].map((id) => execution(id));
    const first = renderWithApollo(<YourExecutions templateId={templateId} />, {
      mocks: [historyMock(executionsConnection(five, 5))],
    });
    expect(await screen.findAllByRole('listitem')).toHaveLength(5);
    expect(screen.queryByRole('link', { name: /View all/ })).toBeNull();
    first.unmount();

    renderWithApollo(<YourExecutions templateId={templateId} />, {
      mocks: [historyMock(executionsConnection(five, 6))],
    });
    expect(await screen.findAllByRole('listitem')).toHaveLength(5);
    expect(screen.getByRole('link', { name: 'View all 6 executions' }).getAttribute('href')).toBe(
      `/templates/${encodeURIComponent(templateId)}/executions`,
    );
  });

  it('adds a run from the subscription at the top, once, and updates the count', async () => {
    const { subscriptions, requests } = renderWithApollo(
      <YourExecutions templateId={templateId} />,
      {
        mocks: [historyMock(executionsConnection([execution('E1', { createdAt: minutesAgo(3) })]))],
      },
    );
    await screen.findAllByRole('listitem');
    expect(requests).toEqual(['YourExecutionsQuery', 'ExecutionLogged']);
    const toggle = screen.getByRole('button', { name: /Your Executions/ });
    expect(toggle.textContent).toContain('1');

    const live = execution('E2', { status: 'FAILED', errorMessage: 'model overloaded' });
    act(() => subscriptions.simulateResult({ result: { data: { executionLogged: live } } }));
    expect(await screen.findByText('model overloaded')).toBeTruthy();
    expect(rows()).toHaveLength(2);
    expect(rows()[0]?.getAttribute('data-status')).toBe('FAILED');
    expect(toggle.textContent).toContain('2');

    // The same runs again (a retry, another path): no second row, no double count. A new run
    // sent after them shows they were all processed, in order.
    const send = (node: ReturnType<typeof execution>) =>
      act(() => subscriptions.simulateResult({ result: { data: { executionLogged: node } } }));
    send(live);
    send(execution('E1', { createdAt: minutesAgo(3) }));
    send(execution('E3', { errorMessage: null, status: 'SUCCESS', inputTokens: 77 }));
    expect(await screen.findByText(/77 in/)).toBeTruthy();
    expect(rows().map((row) => row.textContent?.includes('77 in'))).toEqual([true, false, false]);
    expect(toggle.textContent).toContain('3');
  });

  it('is a disclosure: a button with aria-expanded that hides and shows the list', async () => {
    renderWithApollo(<YourExecutions templateId={templateId} />, {
      mocks: [historyMock(executionsConnection([execution('E1')]))],
    });
    await screen.findAllByRole('listitem');
    const toggle = screen.getByRole('button', { name: /Your Executions/ });
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const body = document.getElementById(toggle.getAttribute('aria-controls') ?? '');
    expect(body).not.toBeNull();

    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(body?.hidden).toBe(true);
    expect(rows()).toHaveLength(0);

    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(rows()).toHaveLength(1);
  });

  it('does not fetch the history when signed out', () => {
    const { requests } = renderWithApollo(<YourExecutions templateId={templateId} />, {
      signedIn: false,
    });
    expect(requests).toEqual([]);
    expect(screen.getByText(/to see your executions of this template/)).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe(
      `/sign-in?next=${encodeURIComponent(`/templates/${encodeURIComponent(templateId)}`)}`,
    );
  });
});
