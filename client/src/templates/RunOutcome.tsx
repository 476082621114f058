import { Link, paths } from '../app/router.tsx';
import type { RunTemplateMutation as RunTemplateResult } from '../gql/graphql.ts';
import { type ApiErrorCode, describeError, errorCode } from '../lib/errors.ts';
import { explainPaymentProblem } from '../payments/explain.ts';
import { PaymentPrompt } from '../payments/PaymentPrompt.tsx';
import { PaymentReceipt } from '../payments/PaymentReceipt.tsx';
import type { Checkout } from './useCheckout.ts';

/** Answers to a paid run that keep the payment prompt open, to pay again. */
const PAYMENT_RETRY_CODES: ReadonlyArray<ApiErrorCode | undefined> = [
  'PAYMENT_REQUIRED',
  'PAYMENT_INVALID',
  'PAYMENT_ALREADY_USED',
  'PAYMENT_FAILED',
];

/** What became of the last run: busy, the payment prompt, an error, or the output and receipt. */
export function RunOutcome({
  result,
  priceUsdc,
  templateId,
  checkout,
  onPay,
}: {
  result: { data?: RunTemplateResult | null; error?: unknown; loading: boolean };
  priceUsdc: string;
  templateId: string;
  checkout: Checkout | null;
  onPay: (payment: string) => Promise<void>;
}) {
  const code = result.error ? errorCode(result.error) : undefined;
  if (checkout && (result.loading || PAYMENT_RETRY_CODES.includes(code))) {
    return (
      <PaymentPrompt
        templateId={templateId}
        priceUsdc={priceUsdc}
        requirements={checkout.requirements}
        onPay={onPay}
        paying={result.loading}
        error={code === 'PAYMENT_REQUIRED' ? undefined : result.error}
      />
    );
  }
  if (result.loading) {
    return (
      <p className="muted" role="status">
        Running… the model is answering.
      </p>
    );
  }
  if (result.error) {
    const payment = explainPaymentProblem(result.error);
    if (payment) {
      return (
        <div className="notice notice--error" role="alert">
          <p>
            <strong>{payment.title}</strong> {payment.detail}
          </p>
        </div>
      );
    }
    if (code === 'UNAUTHENTICATED') {
      return (
        <p className="notice notice--error" role="alert">
          <Link to={paths.signIn(paths.template(templateId))}>Sign in</Link> to run this template.
        </p>
      );
    }
    return (
      <p className="notice notice--error" role="alert">
        The run could not start: {describeError(result.error)}
      </p>
    );
  }
  const payload = result.data?.executeTemplate;
  if (!payload) return null;
  if (payload.execution.status === 'FAILED') {
    return (
      <div className="notice notice--error" role="alert">
        <p>
          <strong>The run failed.</strong> {payload.execution.errorMessage ?? 'No reason given.'}
        </p>
        {checkout && <p>You were not charged: failed runs are never paid for.</p>}
      </div>
    );
  }
  return (
    <section className="output" aria-live="polite" aria-label="Output">
      <h3>Output</h3>
      <pre className="output__text">{payload.output}</pre>
      <PaymentReceipt execution={payload.execution} />
    </section>
  );
}
