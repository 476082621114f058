import type { MockLink } from '@apollo/client/testing';
import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExecutionLogFilter } from '../../gql/graphql.ts';
import { startDownload } from '../../lib/download.ts';
import { viewerFormat } from '../../lib/viewerFormat.ts';
import { logConnection, logRow, templateId } from '../../test/analytics.ts';
import { renderWithApollo } from '../../test/renderWithApollo.tsx';
import { inTimeZone } from '../../test/timeZone.ts';
import { CreateExportMutation, RunLog, RunLogQuery } from './RunLog.tsx';

// Where the page sends the browser for a download (jsdom cannot navigate).
vi.mock('../../lib/download.ts', () => ({ startDownload: vi.fn() }));

// The viewer's zone: a "From" date is the viewer's local midnight.
const TIME_ZONE = 'America/New_York';
inTimeZone(TIME_ZONE);
afterEach(() => vi.clearAllMocks());

const frank = { id: 'VXNlcjo3', name: 'frank' };
const wallet = '0x00000000000000000000000000000000000000aB';

const succeeded = logRow('E1', { caller: frank, executionTimeMs: 1200 });
const failedPaid = logRow('E2', {
  status: 'FAILED',
  payerAddress: wallet,
  amountPaid: '0.010000',
  errorMessage: 'Anthropic API error 529 overloaded_error: Overloaded',
  createdAt: '2026-11-01T05:10:00.000Z',
});
const running = logRow('E3', { status: 'RUNNING', caller: frank, executionTimeMs: null });

/** The run log's answer for exactly this filter (MockLink matches variables exactly). */
function logMock(filter: ExecutionLogFilter, rows: ReturnType<typeof logRow>[]) {
  return {
    request: { query: RunLogQuery, variables: { templateId, filter } },
    result: { data: { template: logConnection(rows) } },
    maxUsageCount: Number.POSITIVE_INFINITY,
  };
}

function renderLog(mocks: ReadonlyArray<MockLink.MockedResponse>) {
  return renderWithApollo(
    <RunLog templateId={templateId} format={viewerFormat('en-US', TIME_ZONE)} refreshKey={0} />,
    { mocks },
  );
}

/** What the table shows: one line per row (started, status, caller, paid, time, error). */
function tableRows() {
  const log = screen.getByRole('region', { name: 'Run log' });
  return within(log)
    .getAllByRole('row')
    .slice(1)
    .map((row) => [...row.children].map((cell) => cell.textContent));
}

const total = () => screen.getByTestId('run-log-total').textContent;

describe('RunLog', () => {
  it('shows every run with who ran it, what was paid and how long it took', async () => {
    renderLog([logMock({}, [running, failedPaid, succeeded])]);
    await screen.findByText('(3 runs)');
    expect(tableRows()).toEqual([
      ['Nov 1, 2026, 1:30:00 AM', 'running', 'frank', 'free', '–', ''],
      [
        'Nov 1, 2026, 1:10:00 AM',
        'failed',
        wallet,
        '0.01 USDC',
        '120 ms',
        'Anthropic API error 529 overloaded_error: Overloaded',
      ],
      ['Nov 1, 2026, 1:30:00 AM', 'success', 'frank', 'free', '1,200 ms', ''],
    ]);
  });

  it('narrows the log by status and by payment, as the API filters them', async () => {
    renderLog([
      logMock({}, [running, failedPaid, succeeded]),
      logMock({ status: 'FAILED' }, [failedPaid]),
      logMock({ status: 'FAILED', paid: false }, []),
      logMock({ status: 'FAILED', paid: true }, [failedPaid]),
    ]);
    await screen.findByText('(3 runs)');
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'FAILED' } });
    await screen.findByText('(1 runs)');
    expect(tableRows().map((row) => row[1])).toEqual(['failed']);

    fireEvent.change(screen.getByLabelText('Payment'), { target: { value: 'free' } });
    expect(await screen.findByText('No runs match.')).toBeTruthy();
    expect(total()).toBe('(0 runs)');

    fireEvent.change(screen.getByLabelText('Payment'), { target: { value: 'paid' } });
    await screen.findByText('(1 runs)');
    expect(tableRows().map((row) => row[3])).toEqual(['0.01 USDC']);
  });

  it("narrows the log to a caller picked in the table, and back to everyone's", async () => {
    renderLog([
      logMock({}, [running, failedPaid, succeeded]),
      logMock({ callerId: frank.id }, [running, succeeded]),
    ]);
    await screen.findByText('(3 runs)');
    fireEvent.click(screen.getAllByRole('button', { name: 'frank' })[0] as HTMLElement);
    await screen.findByText('(2 runs)');
    expect(screen.getByText('Caller:').textContent).toBe('Caller: frank Show every caller');
    expect(tableRows().map((row) => row[2])).toEqual(['frank', 'frank']);

    fireEvent.click(screen.getByRole('button', { name: 'Show every caller' }));
    await screen.findByText('(3 runs)');
    expect(screen.queryByText('Caller:')).toBeNull();
  });

  it('narrows the log to a payer once the address is whole', async () => {
    renderLog([
      logMock({}, [running, failedPaid, succeeded]),
      logMock({ payerAddress: wallet }, [failedPaid]),
    ]);
    await screen.findByText('(3 runs)');
    const payer = screen.getByLabelText('Payer address');
    fireEvent.change(payer, { target: { value: wallet.slice(0, 20) } });
    // Not an address yet: said beside the field, and the log still shows every run.
    expect(payer.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('0x and 40 hex digits')).toBeTruthy();
    expect(total()).toBe('(3 runs)');

    fireEvent.change(payer, { target: { value: ` ${wallet} ` } });
    await screen.findByText('(1 runs)');
    expect(payer.getAttribute('aria-invalid')).toBe('false');
    expect(screen.queryByText('0x and 40 hex digits')).toBeNull();

    // A payer's address in the table does the same.
    fireEvent.change(payer, { target: { value: '' } });
    await screen.findByText('(3 runs)');
    fireEvent.click(screen.getByRole('button', { name: wallet }));
    await screen.findByText('(1 runs)');
    expect((payer as HTMLInputElement).value).toBe(wallet);
  });

  it("narrows the log to a time range from the viewer's local midnights", async () => {
    renderLog([
      logMock({}, [running, failedPaid, succeeded]),
      // New York, 2026-11-01 00:00 EDT and 2026-11-02 00:00 EST: a 25-hour day.
      logMock({ from: '2026-11-01T04:00:00.000Z' }, [running, failedPaid, succeeded]),
      logMock({ from: '2026-11-01T04:00:00.000Z', to: '2026-11-02T05:00:00.000Z' }, [failedPaid]),
    ]);
    await screen.findByText('(3 runs)');
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-11-01' } });
    fireEvent.change(screen.getByLabelText('Before'), { target: { value: '2026-11-02' } });
    await screen.findByText('(1 runs)');
    expect(tableRows().map((row) => row[0])).toEqual(['Nov 1, 2026, 1:10:00 AM']);
  });

  it('exports what the filter selects, as CSV or NDJSON, through a short-lived link', async () => {
    const exportMock = (format: 'CSV' | 'NDJSON', path: string) => ({
      request: {
        query: CreateExportMutation,
        variables: { templateId, format, filter: { status: 'FAILED', paid: true } },
      },
      result: {
        data: {
          createExecutionExport: { __typename: 'ExecutionExport', path },
        },
      },
    });
    renderLog([
      logMock({}, [running, failedPaid, succeeded]),
      logMock({ status: 'FAILED' }, [failedPaid]),
      logMock({ status: 'FAILED', paid: true }, [failedPaid]),
      exportMock('CSV', '/exports/csv-token'),
      exportMock('NDJSON', '/exports/ndjson-token'),
    ]);
    await screen.findByText('(3 runs)');
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'FAILED' } });
    fireEvent.change(screen.getByLabelText('Payment'), { target: { value: 'paid' } });
    await screen.findByText('(1 runs)');

    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    await vi.waitFor(() => expect(startDownload).toHaveBeenCalledWith('/exports/csv-token'));
    fireEvent.click(screen.getByRole('button', { name: 'Export NDJSON' }));
    await vi.waitFor(() => expect(startDownload).toHaveBeenCalledWith('/exports/ndjson-token'));
    expect(startDownload).toHaveBeenCalledTimes(2);
  });

  it('says why an export could not start', async () => {
    renderLog([
      logMock({}, [succeeded]),
      {
        request: {
          query: CreateExportMutation,
          variables: { templateId, format: 'CSV', filter: {} },
        },
        result: {
          data: null,
          errors: [
            {
              message: 'Only the template owner can export its runs.',
              extensions: { code: 'FORBIDDEN' },
            },
          ],
        },
      },
    ]);
    await screen.findByText('(1 runs)');
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(
      'Could not start the export. Only the template owner can export its runs.',
    );
    expect(startDownload).not.toHaveBeenCalled();
  });
});
