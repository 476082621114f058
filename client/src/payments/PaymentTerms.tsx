import { networkName, type PaymentRequirement } from './x402.ts';

/** What a run costs: the amount and, once known, the network and the address paid. */
export function PaymentTerms({ amount, terms }: { amount: string; terms?: PaymentRequirement }) {
  return (
    <dl className="payment__terms">
      <div>
        <dt>Amount</dt>
        <dd>{amount}</dd>
      </div>
      {terms && (
        <>
          <div>
            <dt>Network</dt>
            <dd>
              {networkName(terms.network)}{' '}
              {networkName(terms.network) !== terms.network && (
                <span className="muted">({terms.network})</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Pay to</dt>
            <dd>
              <code className="payment__address">{terms.payTo}</code>
            </dd>
          </div>
        </>
      )}
    </dl>
  );
}
