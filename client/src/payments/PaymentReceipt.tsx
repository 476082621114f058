import type { FragmentType } from '@apollo/client';
import { useFragment } from '@apollo/client/react';
import { graphql } from '../gql/index.ts';
import { formatUsdc, isZeroAmount } from '../lib/format.ts';
import { networkName, parseTransaction, shortHex } from './x402.ts';

export const PaymentReceiptFragment = graphql(`
  fragment PaymentReceipt_execution on Execution {
    id
    amountPaid
    network
    payerAddress
    paymentTransaction
  }
`);

/** What a paid run cost and its settlement transaction; nothing for a free run. */
export function PaymentReceipt({
  execution,
}: {
  execution: FragmentType<typeof PaymentReceiptFragment>;
}) {
  const { data, complete } = useFragment({ fragment: PaymentReceiptFragment, from: execution });
  if (!complete || isZeroAmount(data.amountPaid)) return null;
  const transaction = data.paymentTransaction
    ? parseTransaction(data.paymentTransaction, data.network)
    : null;
  return (
    <section className="receipt" aria-label="Payment receipt">
      <p>
        <strong>Paid {formatUsdc(data.amountPaid)}</strong>
        {data.network && ` on ${networkName(data.network)}`}
        {data.payerAddress && (
          <>
            {' '}
            from <code title={data.payerAddress}>{shortHex(data.payerAddress)}</code>
          </>
        )}
        .
      </p>
      {transaction && (
        <p className="receipt__transaction">
          Transaction{' '}
          {transaction.url ? (
            <a href={transaction.url} target="_blank" rel="noreferrer" title={transaction.hash}>
              <code>{shortHex(transaction.hash)}</code>
            </a>
          ) : (
            <code title={transaction.hash}>{shortHex(transaction.hash)}</code>
          )}
          {transaction.simulated && (
            <>
              {' '}
              <span className="badge badge--simulated">simulated</span>{' '}
              <span className="muted">settled offline by this server: no money moved</span>
            </>
          )}
        </p>
      )}
    </section>
  );
}
