import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { analytics, bucket, logConnection, logRow, templateId } from '../test/analytics.ts';
import { stubCanvasWithoutContext } from '../test/canvas.ts';
import { renderWithApollo } from '../test/renderWithApollo.tsx';
import { inTimeZone } from '../test/timeZone.ts';
import AnalyticsPage, { AnalyticsPageQuery } from './AnalyticsPage.tsx';
import { RunLogQuery } from './analytics/RunLog.tsx';

// The viewer's zone, as the browser would report it: buckets and times are asked and shown in it.
const TIME_ZONE = 'America/New_York';
inTimeZone(TIME_ZONE);
beforeEach(() => {
  stubCanvasWithoutContext();
});
afterEach(() => vi.restoreAllMocks());

const template = {
  __typename: 'Template' as const,
  id: templateId,
  name: 'Explain like I am five',
};

function pageMock(preset: string, templateAnalytics: ReturnType<typeof analytics>) {
  return {
    request: {
      query: AnalyticsPageQuery,
      variables: { templateId, range: { preset }, timeZone: TIME_ZONE },
    },
    result: { data: { template, templateAnalytics } },
  };
}

function runLogMock(rows = [logRow('E1')]) {
  return {
    request: { query: RunLogQuery, variables: { templateId, filter: {} } },
    result: { data: { template: logConnection(rows) } },
    maxUsageCount: Number.POSITIVE_INFINITY,
  };
}

const headline = (label: string) => screen.getByTestId(`headline-${label}`);

describe('AnalyticsPage', () => {
  it('shows the headline numbers with their change against the previous period', async () => {
    renderWithApollo(<AnalyticsPage templateId={templateId} />, {
      mocks: [
        pageMock(
          'LAST_7_DAYS',
          analytics({
            totals: {
              runs: 1234,
              succeeded: 1200,
              failed: 30,
              running: 4,
              successRate: 0.975,
              revenueUsdc: '12.345678',
              paidRuns: 1100,
              distinctCallers: 3,
              anonymousPayers: 2,
              inputTokens: 1_000_000,
              outputTokens: 250_000,
              p50: 1250,
              p95: 4000,
              p99: 9000,
            },
            previous: {
              runs: 1000,
              successRate: 0.75,
              revenueUsdc: '10',
              distinctCallers: 4,
              anonymousPayers: 1,
              p50: 1000,
            },
            buckets: [bucket({ start: '2026-11-01T04:00:00.000Z', succeeded: 3 })],
          }),
        ),
        runLogMock(),
      ],
    });
    await screen.findByRole('heading', { name: 'Analytics · Explain like I am five' });
    expect(screen.getByText(`Times in ${TIME_ZONE}.`, { exact: false })).toBeTruthy();

    expect(headline('Runs').textContent).toBe(
      'Runs1,2341,200 succeeded · 30 failed · 4 running+23% vs previous period',
    );
    expect(headline('Success rate').textContent).toBe('Success rate97.5%+30% vs previous period');
    expect(headline('Revenue').textContent).toBe(
      'Revenue12.345678 USDC1,100 paid runs+23% vs previous period',
    );
    expect(headline('Callers').textContent).toBe(
      'Callers53 signed in · 2 anonymous wallets0% vs previous period',
    );
    expect(headline('Execution time (p50)').textContent).toBe(
      'Execution time (p50)1,250 msp95 4,000 ms · p99 9,000 ms+25% vs previous period',
    );
    expect(headline('Tokens').textContent).toBe('Tokens1,250,0001,000,000 in · 250,000 out');
  });

  it("formats numbers, amounts, periods and times for the viewer's locale and time zone", async () => {
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['de-DE']);
    renderWithApollo(<AnalyticsPage templateId={templateId} />, {
      mocks: [
        pageMock(
          'LAST_7_DAYS',
          analytics({
            totals: { runs: 1234, succeeded: 1117, failed: 117, successRate: 0.905 },
            previous: { runs: 0 },
            // New York's 2026-11-01 is 25 hours long: the next day starts at 05:00Z, not 04:00Z.
            buckets: [
              bucket({ start: '2026-11-01T04:00:00.000Z', succeeded: 1000, revenueUsdc: '1234.5' }),
              bucket({ start: '2026-11-02T05:00:00.000Z', succeeded: 117, failed: 117 }),
            ],
          }),
        ),
        runLogMock([
          logRow('E1', { createdAt: '2026-11-01T06:30:00.000Z', executionTimeMs: 1500 }),
        ]),
      ],
    });
    await screen.findByRole('heading', { name: /Analytics/ });
    expect(within(headline('Runs')).getByText('1.234')).toBeTruthy();
    expect(within(headline('Runs')).getByText('new vs previous period')).toBeTruthy();
    expect(within(headline('Success rate')).getByText('90,5 %')).toBeTruthy();

    const chart = screen.getByRole('table', { name: 'Runs by status and revenue per period' });
    const rows = within(chart)
      .getAllByRole('row')
      .map((row) => [...row.children].map((cell) => cell.textContent));
    expect(rows).toEqual([
      ['Period', 'Succeeded', 'Failed', 'Running', 'Revenue (USDC)'],
      ['1. Nov.', '1.000', '0', '0', '1.234,5'],
      ['2. Nov.', '117', '117', '0', '0'],
    ]);

    // 06:30Z on 2026-11-01 is 01:30 in New York, the second 1:30 of that day (EST).
    const log = await screen.findByRole('region', { name: 'Run log' });
    const row = await within(log).findByText('01.11.2026, 01:30:00');
    expect(row.closest('tr')?.textContent).toContain('1.500 ms');
  });

  it('lists the top callers (by name, or by wallet when anonymous) and the top errors', async () => {
    const wallet = '0x00000000000000000000000000000000000000aB';
    renderWithApollo(<AnalyticsPage templateId={templateId} />, {
      mocks: [
        pageMock(
          'LAST_7_DAYS',
          analytics({
            totals: { runs: 50, succeeded: 43, failed: 7, successRate: 0.86 },
            buckets: [bucket({ start: '2026-11-01T04:00:00.000Z', succeeded: 43, failed: 7 })],
            topCallers: [
              { name: 'frank', runs: 40, revenueUsdc: '0.4' },
              { payerAddress: wallet, runs: 3, revenueUsdc: '0.030000' },
            ],
            topErrors: [
              { message: 'Anthropic API error 529 overloaded_error: Overloaded', runs: 6 },
              { message: 'cancelled', runs: 1 },
            ],
          }),
        ),
        runLogMock(),
      ],
    });
    const callers = await screen.findByRole('table', { name: 'Top callers' });
    expect(
      within(callers)
        .getAllByRole('row')
        .map((row) => [...row.children].map((cell) => cell.textContent)),
    ).toEqual([
      ['Caller', 'Runs', 'Revenue'],
      ['frank', '40', '0.4 USDC'],
      [wallet, '3', '0.03 USDC'],
    ]);
    const errors = screen.getByRole('list', { name: 'Top errors' });
    expect(
      within(errors)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual(['6× Anthropic API error 529 overloaded_error: Overloaded', '1× cancelled']);
  });

  it('says so when the period has no runs, instead of empty charts', async () => {
    renderWithApollo(<AnalyticsPage templateId={templateId} />, {
      mocks: [
        pageMock(
          'LAST_7_DAYS',
          analytics({
            previous: { runs: 5, successRate: 0.8 },
            buckets: [bucket({ start: '2026-11-01T04:00:00.000Z' })],
          }),
        ),
        runLogMock([]),
      ],
    });
    expect(
      await screen.findByText(
        'No runs in the last 7 days. Runs of this template show up here as they start.',
      ),
    ).toBeTruthy();
    expect(headline('Runs').textContent).toContain('0 succeeded · 0 failed · 0 running');
    expect(headline('Runs').textContent).toContain('-100% vs previous period');
    expect(within(headline('Success rate')).getByText('–')).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Runs and revenue' })).toBeNull();
    expect(screen.queryByRole('table', { name: /per period/ })).toBeNull();
    const log = screen.getByRole('region', { name: 'Run log' });
    expect(await within(log).findByText('No runs match.')).toBeTruthy();
  });

  it("tells a non-owner that only the template's owners see its analytics", async () => {
    renderWithApollo(<AnalyticsPage templateId={templateId} />, {
      mocks: [
        {
          request: pageMock('LAST_7_DAYS', analytics({})).request,
          result: {
            data: null,
            errors: [
              {
                message: 'Only the template owner can read its analytics.',
                path: ['templateAnalytics'],
                extensions: { code: 'FORBIDDEN' },
              },
            ],
          },
        },
      ],
    });
    expect(
      await screen.findByText("Only this template's owners can see its analytics."),
    ).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to the template' }).getAttribute('href')).toBe(
      `/templates/${encodeURIComponent(templateId)}`,
    );
    expect(screen.queryByTestId('headline-Runs')).toBeNull();
    expect(screen.queryByRole('region', { name: 'Run log' })).toBeNull();
  });

  it('asks again for the chosen period when the viewer switches presets', async () => {
    const { requests } = renderWithApollo(<AnalyticsPage templateId={templateId} />, {
      mocks: [
        pageMock(
          'LAST_7_DAYS',
          analytics({
            totals: { runs: 10, succeeded: 10, successRate: 1 },
            buckets: [bucket({ start: '2026-11-01T04:00:00.000Z', succeeded: 10 })],
          }),
        ),
        pageMock(
          'LAST_30_DAYS',
          analytics({
            totals: { runs: 42, succeeded: 40, failed: 2, successRate: 40 / 42 },
            buckets: [
              bucket({ start: '2026-10-09T04:00:00.000Z', succeeded: 30, failed: 2 }),
              bucket({ start: '2026-11-01T04:00:00.000Z', succeeded: 10 }),
            ],
          }),
        ),
        runLogMock(),
      ],
    });
    const period = await screen.findByRole('group', { name: 'Period' });
    expect(within(headline('Runs')).getByText('10')).toBeTruthy();
    expect(
      within(period).getByRole('button', { name: '7 days' }).getAttribute('aria-pressed'),
    ).toBe('true');

    fireEvent.click(within(period).getByRole('button', { name: '30 days' }));
    expect(await screen.findByText('42')).toBeTruthy();
    expect(
      within(screen.getByRole('group', { name: 'Period' }))
        .getByRole('button', { name: '30 days' })
        .getAttribute('aria-pressed'),
    ).toBe('true');
    const chart = screen.getByRole('table', { name: 'Runs by status and revenue per period' });
    expect(within(chart).getAllByRole('row')).toHaveLength(3);
    expect(within(chart).getByRole('rowheader', { name: 'Oct 9' })).toBeTruthy();
    expect(requests.filter((name) => name === 'AnalyticsPageQuery')).toHaveLength(2);
  });
});

describe('AnalyticsPage live', () => {
  it('ends a running row of the run log in place, with its time, as the event arrives', async () => {
    const ended = logRow('E1', { status: 'SUCCESS', executionTimeMs: 1500 });
    const { subscriptions, requests } = renderWithApollo(
      <AnalyticsPage templateId={templateId} />,
      {
        mocks: [
          pageMock('LAST_7_DAYS', analytics({ totals: { runs: 1, running: 1 } })),
          {
            ...runLogMock([{ ...ended, status: 'RUNNING', executionTimeMs: null }]),
            maxUsageCount: 1,
          },
          // The refetch an event schedules would bring the ended row too: the row must end before it.
          runLogMock([ended]),
        ],
      },
    );
    const log = await screen.findByRole('region', { name: 'Run log' });
    const rows = () =>
      within(log)
        .getAllByRole('row')
        .slice(1)
        .map((row) => [...row.children].map((cell) => cell.textContent));
    await within(log).findByText('running');
    // Started, status, caller, paid, time, error.
    expect(rows()).toEqual([['Nov 1, 2026, 1:30:00 AM', 'running', '–', 'free', '–', '']]);
    expect(subscriptions.operation?.operationName).toBe('RunLogLive');

    act(() =>
      subscriptions.simulateResult({
        result: {
          data: {
            executionLogged: {
              __typename: 'Execution',
              id: ended.id,
              status: ended.status,
              amountPaid: ended.amountPaid,
              executionTimeMs: ended.executionTimeMs,
              errorMessage: ended.errorMessage,
            },
          },
        },
      }),
    );
    await waitFor(() =>
      expect(rows()).toEqual([['Nov 1, 2026, 1:30:00 AM', 'success', '–', 'free', '1,500 ms', '']]),
    );
    expect(requests.filter((name) => name === 'RunLogQuery')).toHaveLength(1);
  });
});
