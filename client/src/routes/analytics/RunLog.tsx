import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import type { ExecutionLogFilter, ExportFormat } from '../../gql/graphql.ts';
import { graphql } from '../../gql/index.ts';
import { startDownload } from '../../lib/download.ts';
import { isZeroAmount } from '../../lib/format.ts';
import type { ViewerFormat } from '../../lib/viewerFormat.ts';
import { ErrorNotice } from '../../ui/Feedback.tsx';

export const RunLogQuery = graphql(`
  query RunLogQuery($templateId: ID!, $filter: ExecutionLogFilter, $after: String) {
    template(id: $templateId) {
      id
      executions(first: 25, after: $after, filter: $filter) {
        totalCount
        edges {
          cursor
          node {
            id
            status
            createdAt
            caller {
              id
              name
            }
            payerAddress
            amountPaid
            executionTimeMs
            errorMessage
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

/**
 * The analytics page's live feed: each event updates its run's row in place (through the cache),
 * with what changes when a run ends, before the refetch that brings new rows and numbers.
 */
export const RunLogLiveSubscription = graphql(`
  subscription RunLogLive($templateId: ID!) {
    executionLogged(templateId: $templateId) {
      id
      status
      amountPaid
      executionTimeMs
      errorMessage
    }
  }
`);

export const CreateExportMutation = graphql(`
  mutation CreateExportMutation($templateId: ID!, $format: ExportFormat!, $filter: ExecutionLogFilter) {
    createExecutionExport(templateId: $templateId, format: $format, filter: $filter) {
      path
    }
  }
`);

type Status = 'RUNNING' | 'SUCCESS' | 'FAILED';
interface Filters {
  status: '' | Status;
  paid: '' | 'paid' | 'free';
  /** A signed-in caller picked from the table (the API filters by id; the chip shows the name). */
  caller: { id: string; name: string } | null;
  payer: string;
  from: string;
  to: string;
}

const NO_FILTERS: Filters = { status: '', paid: '', caller: null, payer: '', from: '', to: '' };
const PAYER_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** The form's fields as the API's filter; dates are the viewer's local midnight. */
function toFilter(filters: Filters): ExecutionLogFilter {
  const midnight = (value: string) => new Date(`${value}T00:00:00`).toISOString();
  const payer = filters.payer.trim();
  return {
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.paid ? { paid: filters.paid === 'paid' } : {}),
    ...(filters.caller ? { callerId: filters.caller.id } : {}),
    ...(PAYER_ADDRESS.test(payer) ? { payerAddress: payer } : {}),
    ...(filters.from ? { from: midnight(filters.from) } : {}),
    ...(filters.to ? { to: midnight(filters.to) } : {}),
  };
}

/**
 * Every run of the template (its owner's view), filtered, paged, and exported as filtered.
 * A caller's name or a payer's address in the table narrows the log to their runs.
 */
export function RunLog({
  templateId,
  format,
  refreshKey,
}: {
  templateId: string;
  format: ViewerFormat;
  refreshKey: number;
}) {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const filter = toFilter(filters);
  const { data, error, fetchMore, refetch } = useQuery(RunLogQuery, {
    variables: { templateId, filter },
    fetchPolicy: 'cache-and-network',
  });
  const [createExport, exporting] = useMutation(CreateExportMutation);
  const [exportError, setExportError] = useState<unknown>(null);

  useEffect(() => {
    if (refreshKey > 0) void refetch();
  }, [refreshKey, refetch]);

  const set = (patch: Partial<Filters>) => setFilters((current) => ({ ...current, ...patch }));
  const executions = data?.template?.executions;
  const payerInvalid = filters.payer.trim() !== '' && !PAYER_ADDRESS.test(filters.payer.trim());

  async function download(exportFormat: ExportFormat) {
    setExportError(null);
    try {
      const result = await createExport({
        variables: { templateId, format: exportFormat, filter },
      });
      // A 60-second link that carries no long-lived secret.
      const path = result.data?.createExecutionExport.path;
      if (path) startDownload(path);
    } catch (error) {
      setExportError(error);
    }
  }

  return (
    <section className="panel run-log" aria-label="Run log">
      <h2>
        Run log{' '}
        {executions && (
          <span className="muted" data-testid="run-log-total">
            ({format.count(executions.totalCount)} runs)
          </span>
        )}
      </h2>
      <form className="run-log__filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Status
          <select
            value={filters.status}
            onChange={(e) => set({ status: e.target.value as Filters['status'] })}
          >
            <option value="">Any</option>
            <option value="SUCCESS">Succeeded</option>
            <option value="FAILED">Failed</option>
            <option value="RUNNING">Running</option>
          </select>
        </label>
        <label>
          Payment
          <select
            value={filters.paid}
            onChange={(e) => set({ paid: e.target.value as Filters['paid'] })}
          >
            <option value="">Any</option>
            <option value="paid">Paid</option>
            <option value="free">Free</option>
          </select>
        </label>
        <label className="run-log__payer">
          Payer address
          <input
            value={filters.payer}
            placeholder="0x…"
            spellCheck={false}
            aria-invalid={payerInvalid}
            aria-describedby={payerInvalid ? 'run-log-payer-hint' : undefined}
            onChange={(e) => set({ payer: e.target.value })}
          />
          {payerInvalid && (
            <span id="run-log-payer-hint" className="field__error">
              0x and 40 hex digits
            </span>
          )}
        </label>
        <label>
          From
          <input type="date" value={filters.from} onChange={(e) => set({ from: e.target.value })} />
        </label>
        <label>
          Before
          <input type="date" value={filters.to} onChange={(e) => set({ to: e.target.value })} />
        </label>
        <div className="run-log__export">
          <button
            type="button"
            className="button button--small"
            disabled={exporting.loading}
            onClick={() => void download('CSV')}
          >
            Export CSV
          </button>
          <button
            type="button"
            className="button button--small"
            disabled={exporting.loading}
            onClick={() => void download('NDJSON')}
          >
            Export NDJSON
          </button>
        </div>
      </form>
      {filters.caller && (
        <p className="run-log__chip">
          Caller: <strong>{filters.caller.name}</strong>{' '}
          <button
            type="button"
            className="button button--small button--ghost"
            onClick={() => set({ caller: null })}
          >
            Show every caller
          </button>
        </p>
      )}
      {exportError !== null && (
        <ErrorNotice error={exportError} title="Could not start the export." />
      )}
      {error && (
        <ErrorNotice
          error={error}
          title="Could not load the run log."
          onRetry={() => void refetch()}
        />
      )}
      {executions && executions.edges.length === 0 && <p className="empty">No runs match.</p>}
      {executions && executions.edges.length > 0 && (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Status</th>
                <th scope="col">Caller</th>
                <th scope="col">Paid</th>
                <th scope="col">Time</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {executions.edges.map(({ node }) => (
                <tr key={node.id} data-status={node.status}>
                  <td>{format.dateTime(node.createdAt)}</td>
                  <td>{node.status.toLowerCase()}</td>
                  <td className="data-table__who">
                    <Who
                      caller={node.caller}
                      payerAddress={node.payerAddress}
                      onPickCaller={(caller) => set({ caller })}
                      onPickPayer={(payer) => set({ payer })}
                    />
                  </td>
                  <td>{isZeroAmount(node.amountPaid) ? 'free' : format.usdc(node.amountPaid)}</td>
                  <td>{format.ms(node.executionTimeMs)}</td>
                  <td className="run-log__error">{node.errorMessage ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {executions?.pageInfo.hasNextPage && (
        <button
          type="button"
          className="button load-more"
          onClick={() => void fetchMore({ variables: { after: executions.pageInfo.endCursor } })}
        >
          Load more
        </button>
      )}
    </section>
  );
}

/** Who ran it: a button that narrows the log to them (a signed-in caller, else the payer). */
function Who({
  caller,
  payerAddress,
  onPickCaller,
  onPickPayer,
}: {
  caller: { id: string; name: string | null } | null | undefined;
  payerAddress: string | null | undefined;
  onPickCaller(caller: { id: string; name: string }): void;
  onPickPayer(address: string): void;
}) {
  if (caller) {
    const name = caller.name ?? 'Unnamed caller';
    return (
      <button
        type="button"
        className="link-button"
        title={`Show only runs by ${name}`}
        onClick={() => onPickCaller({ id: caller.id, name })}
      >
        {name}
      </button>
    );
  }
  if (payerAddress) {
    return (
      <button
        type="button"
        className="link-button"
        title="Show only runs paid from this address"
        onClick={() => onPickPayer(payerAddress)}
      >
        {payerAddress}
      </button>
    );
  }
  return <>–</>;
}
