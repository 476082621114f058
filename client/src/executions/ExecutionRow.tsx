import type { FragmentType } from '@apollo/client';
import { useFragment } from '@apollo/client/react';
import { graphql } from '../gql/index.ts';
import { formatCount, formatUsdc } from '../lib/format.ts';
import { Elapsed } from '../ui/Elapsed.tsx';
import { RelativeTime } from '../ui/RelativeTime.tsx';
import { StatusDot } from '../ui/StatusDot.tsx';

export const ExecutionRowFragment = graphql(`
  fragment ExecutionRow_execution on Execution {
    id
    status
    createdAt
    inputTokens
    outputTokens
    amountPaid
    errorMessage
    # Every write of a run brings its position, so a list reading it finds it complete.
    logPosition
  }
`);

interface Props {
  execution: FragmentType<typeof ExecutionRowFragment>;
}

/**
 * One run in a history list: when, how it ended (or how long it has been running), tokens used
 * and what it cost. A running run changes in place when its final state arrives.
 */
export function ExecutionRow({ execution }: Props) {
  const { data, complete } = useFragment({ fragment: ExecutionRowFragment, from: execution });
  if (!complete) return null;
  return (
    <li className="execution-row" data-status={data.status}>
      <StatusDot status={data.status} />
      <RelativeTime iso={data.createdAt} />
      {data.status === 'RUNNING' ? (
        <span className="execution-row__tokens execution-row__elapsed">
          Running · <Elapsed since={data.createdAt} />
        </span>
      ) : (
        <span className="execution-row__tokens">
          <span className="visually-hidden">Tokens: </span>
          {formatCount(data.inputTokens)} in · {formatCount(data.outputTokens)} out
        </span>
      )}
      <span className="execution-row__amount">
        <span className="visually-hidden">Paid: </span>
        {formatUsdc(data.amountPaid)}
      </span>
      {data.status === 'FAILED' && data.errorMessage && (
        <p className="execution-row__error">{data.errorMessage}</p>
      )}
    </li>
  );
}
