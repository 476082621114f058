import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { graphql } from '../../gql/index.ts';
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
  payer: string;
  from: string;
  to: string;
}

/** The form's fields as the API's filter; dates are the viewer's local midnight. */
function toFilter(filters: Filters) {
  const date = (value: string) => (value ? new Date(`${value}T00:00:00`).toISOString() : undefined);
  return {
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.paid ? { paid: filters.paid === 'paid' } : {}),
    ...(/^0x[0-9a-fA-F]{40}$/.test(filters.payer.trim())
      ? { payerAddress: filters.payer.trim() }
      : {}),
    ...(filters.from ? { from: date(filters.from) } : {}),
    ...(filters.to ? { to: date(filters.to) } : {}),
  };
}

/** Every run of the template (its owner's view), filtered, paged, and exported as filtered. */
export function RunLog({
  templateId,
  timeZone,
  refreshKey,
}: {
  templateId: string;
  timeZone: string;
  refreshKey: number;
}) {
  const [filters, setFilters] = useState<Filters>({
    status: '',
    paid: '',
    payer: '',
    from: '',
    to: '',
  });
  const filter = toFilter(filters);
  const { data, error, fetchMore, refetch } = useQuery(RunLogQuery, {
    variables: { templateId, filter },
    fetchPolicy: 'cache-and-network',
  });
  const [createExport, exporting] = useMutation(CreateExportMutation);

  useEffect(() => {
    if (refreshKey > 0) void refetch();
  }, [refreshKey, refetch]);

  const when = new Intl.DateTimeFormat(undefined, {
    timeZone,
    dateStyle: 'medium',
    timeStyle: 'medium',
  });
  const set = (patch: Partial<Filters>) => setFilters((current) => ({ ...current, ...patch }));
  const executions = data?.template?.executions;

  async function download(format: 'CSV' | 'NDJSON') {
    const result = await createExport({ variables: { templateId, format, filter } });
    const path = result.data?.createExecutionExport.path;
    // A 60-second link: the browser streams the file to disk, nothing is held in the page.
    if (path) window.location.assign(path);
  }

  return (
    <section className="panel run-log" aria-label="Run log">
      <h2>
        Run log{' '}
        {executions && (
          <span className="muted" data-testid="run-log-total">
            ({new Intl.NumberFormat().format(executions.totalCount)} runs)
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
        <label>
          Payer address
          <input
            value={filters.payer}
            placeholder="0x…"
            onChange={(e) => set({ payer: e.target.value })}
          />
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
          <button type="button" disabled={exporting.loading} onClick={() => void download('CSV')}>
            Export CSV
          </button>
          <button
            type="button"
            disabled={exporting.loading}
            onClick={() => void download('NDJSON')}
          >
            Export NDJSON
          </button>
        </div>
      </form>
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
                  <td>{when.format(new Date(node.createdAt))}</td>
                  <td>{node.status.toLowerCase()}</td>
                  <td>{node.caller?.name ?? node.payerAddress ?? '–'}</td>
                  <td>{node.amountPaid === '0' ? 'free' : `${node.amountPaid} USDC`}</td>
                  <td>
                    {node.executionTimeMs === null || node.executionTimeMs === undefined
                      ? '–'
                      : `${node.executionTimeMs} ms`}
                  </td>
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
          onClick={() => void fetchMore({ variables: { after: executions.pageInfo.endCursor } })}
        >
          Load more
        </button>
      )}
    </section>
  );
}
