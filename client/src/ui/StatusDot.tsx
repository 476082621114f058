import type { ExecutionStatus } from '../gql/graphql.ts';

const LABELS: Record<ExecutionStatus, string> = {
  SUCCESS: 'Succeeded',
  FAILED: 'Failed',
  RUNNING: 'Running',
};

/** Green, red or grey: the colour is decoration; the label is what assistive tech reads. */
export function StatusDot({ status }: { status: ExecutionStatus }) {
  return (
    <span className="status-dot" data-status={status} role="img" aria-label={LABELS[status]} />
  );
}
