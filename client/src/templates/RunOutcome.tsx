import { Link, paths } from '../app/router.tsx';
import { type ApiErrorCode, describeError, errorCode } from '../lib/errors.ts';
import { explainPaymentProblem } from '../payments/explain.ts';
import { PaymentPrompt } from '../payments/PaymentPrompt.tsx';
import { PaymentReceipt } from '../payments/PaymentReceipt.tsx';
import { Elapsed } from '../ui/Elapsed.tsx';
import type { Checkout, RunState } from './useCheckout.ts';

/** Answers to a paid run that keep the payment prompt open, to pay again. */
const PAYMENT_RETRY_CODES: ReadonlyArray<ApiErrorCode | undefined> = [
  'PAYMENT_REQUIRED',
  'PAYMENT_INVALID',
  'PAYMENT_ALREADY_USED',
  'PAYMENT_FAILED',
];

/** What became of the last run: the payment prompt, an error, or its output as it is written. */
export function RunOutcome({
  run,
  priceUsdc,
  templateId,
  checkout,
  onPay,
  onStop,
}: {
  run: RunState;
  priceUsdc: string;
  templateId: string;
  checkout: Checkout | null;
  onPay: (payment: string) => Promise<void>;
  onStop: () => void;
}) {
  const code = run.phase === 'error' ? errorCode(run.error) : undefined;
  if (checkout && (run.phase === 'starting' || PAYMENT_RETRY_CODES.includes(code))) {
    return (
      <PaymentPrompt
        templateId={templateId}
        priceUsdc={priceUsdc}
        requirements={checkout.requirements}
        onPay={onPay}
        paying={run.phase === 'starting'}
        error={code === 'PAYMENT_REQUIRED' ? undefined : run.error}
      />
    );
  }
  if (run.phase === 'starting') {
    return (
      <p className="muted" role="status">
        Starting the run…
      </p>
    );
  }
  if (run.phase === 'error') {
    const payment = explainPaymentProblem(run.error);
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
        The run could not start: {describeError(run.error)}
      </p>
    );
  }
  if (run.phase === 'running') return <StreamingOutput run={run} onStop={onStop} />;
  const finished = run.finished;
  if (run.phase !== 'finished' || !finished) return null;
  if (finished.execution.status === 'FAILED') {
    const cancelled = finished.execution.errorMessage === 'cancelled';
    return (
      <div className="notice notice--error" role="alert">
        <p>
          <strong>{cancelled ? 'You stopped the run.' : 'The run failed.'}</strong>{' '}
          {cancelled ? '' : (finished.execution.errorMessage ?? 'No reason given.')}
        </p>
        {run.text && <pre className="output__text output__text--partial">{run.text}</pre>}
        {checkout && <p>You were not charged: failed runs are never paid for.</p>}
      </div>
    );
  }
  return (
    <section className="output" aria-label="Output">
      <h3>Output</h3>
      <p className="visually-hidden" role="status">
        The run has finished.
      </p>
      <pre className="output__text">{finished.output}</pre>
      <PaymentReceipt execution={finished.execution} />
    </section>
  );
}

/**
 * The text as the model writes it. Not a live region (a screen reader would read every word):
 * a status line announces the start, and the finished output announces its end.
 */
function StreamingOutput({ run, onStop }: { run: RunState; onStop: () => void }) {
  return (
    <section className="output output--streaming" aria-label="Output" aria-busy="true">
      <div className="output__header">
        <h3>Output</h3>
        <span className="output__running" role="status">
          <span className="status-dot" data-status="RUNNING" aria-hidden="true" />
          Running · {run.startedAt && <Elapsed since={run.startedAt} />}
        </span>
        <button
          type="button"
          className="button output__stop"
          onClick={onStop}
          disabled={run.stopping}
        >
          {run.stopping ? 'Stopping…' : 'Stop'}
        </button>
      </div>
      <pre className="output__text">
        {run.text}
        <span className="output__cursor" aria-hidden="true" />
      </pre>
    </section>
  );
}
