import type { FragmentType, InMemoryCache } from '@apollo/client';
import { useFragment, useMutation } from '@apollo/client/react';
import { type FormEvent, useId, useRef, useState } from 'react';
import { Link, paths } from '../app/router.tsx';
import { addRunToHistory } from '../executions/liveExecutions.ts';
import type { RunTemplateMutation as RunTemplateResult } from '../gql/graphql.ts';
import { graphql } from '../gql/index.ts';
import { type ApiErrorCode, describeError, errorCode, errorExtensions } from '../lib/errors.ts';
import { explainPaymentProblem } from '../payments/explain.ts';
import { PaymentPrompt } from '../payments/PaymentPrompt.tsx';
import { PaymentReceipt } from '../payments/PaymentReceipt.tsx';
import { asPaymentRequired, type PaymentRequired } from '../payments/x402.ts';

export const RunTemplateFormFragment = graphql(`
  fragment RunTemplateForm_template on Template {
    id
    priceUsdc
    variables {
      name
      description
      required
      default
    }
  }
`);

export const RunTemplateMutation = graphql(`
  mutation RunTemplate($input: ExecuteTemplateInput!) {
    executeTemplate(input: $input) {
      output
      execution {
        id
        status
        errorMessage
        ...PaymentReceipt_execution
        ...ExecutionRow_execution
      }
    }
  }
`);

type Values = Record<string, string>;

interface RunInput {
  templateId: string;
  variables: Values;
}

/** A run that asked for payment: the same input is sent again with the signed payment. */
interface Checkout {
  input: RunInput;
  requirements: PaymentRequired | null;
}

/** Answers to a paid run that keep the payment prompt open, to pay again. */
const PAYMENT_RETRY_CODES: ReadonlyArray<ApiErrorCode | undefined> = [
  'PAYMENT_REQUIRED',
  'PAYMENT_INVALID',
  'PAYMENT_ALREADY_USED',
  'PAYMENT_FAILED',
];

/** Required variables left blank, by name: checked here so an incomplete run is never sent. */
export function missingRequired(
  variables: ReadonlyArray<{ name: string; required: boolean }>,
  values: Values,
): string[] {
  return variables
    .filter((variable) => variable.required && !values[variable.name]?.trim())
    .map((variable) => variable.name);
}

/** The run form, generated from the template's declared variables, and the run's outcome. */
export function RunTemplateForm({
  template,
}: {
  template: FragmentType<typeof RunTemplateFormFragment>;
}) {
  const { data, complete } = useFragment({ fragment: RunTemplateFormFragment, from: template });
  const formId = useId();
  const [values, setValues] = useState<Values>({});
  const [invalid, setInvalid] = useState<string[]>([]);
  const [run, result] = useMutation(RunTemplateMutation, {
    // The new run shows in the history at once, not after the subscription's round trip.
    update: (cache: InMemoryCache, { data: ran }) => {
      if (ran && complete) addRunToHistory(cache, data.id, ran.executeTemplate.execution);
    },
  });
  const [checkout, setCheckoutState] = useState<Checkout | null>(null);
  // Read when a wallet has signed, which may be after a new Run replaced the checkout.
  const checkoutRef = useRef<Checkout | null>(null);
  const setCheckout = (next: Checkout | null) => {
    checkoutRef.current = next;
    setCheckoutState(next);
  };

  if (!complete) return null;
  const fieldId = (name: string) => `${formId}-${name}`;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!complete || result.loading) return;
    const missing = missingRequired(data.variables, values);
    setInvalid(missing);
    if (missing.length > 0) {
      document.getElementById(fieldId(missing[0] ?? ''))?.focus();
      return;
    }
    // Blank optional variables are left out, so the template's defaults apply.
    const filled = Object.fromEntries(
      Object.entries(values).filter(([, value]) => value.trim() !== ''),
    );
    const input = { templateId: data.id, variables: filled };
    setCheckout(null);
    try {
      await run({ variables: { input } });
    } catch (error) {
      // Shown from `result.error` below; a priced run opens the payment prompt.
      if (errorCode(error) === 'PAYMENT_REQUIRED') {
        setCheckout({ input, requirements: asPaymentRequired(errorExtensions(error).x402) });
      }
    }
  }

  /** The same run again, paid: `input.payment` is the base64 x402 PaymentPayload. */
  async function pay(payment: string) {
    const pending = checkoutRef.current;
    if (!pending) return; // A new Run started meanwhile: this signature is for nothing.
    try {
      await run({ variables: { input: { ...pending.input, payment } } });
    } catch (error) {
      // A refused payment comes with fresh requirements (their `error` says why): sign those.
      const fresh = asPaymentRequired(errorExtensions(error).x402);
      if (fresh) setCheckout({ ...pending, requirements: fresh });
    }
  }

  return (
    <section className="run" aria-labelledby={`${formId}-title`}>
      <h2 id={`${formId}-title`}>Run this template</h2>
      <form className="form" noValidate onSubmit={onSubmit} aria-busy={result.loading}>
        {data.variables.length === 0 && (
          <p className="muted">This template takes no input: just run it.</p>
        )}
        {data.variables.map((variable) => {
          const id = fieldId(variable.name);
          const isInvalid = invalid.includes(variable.name);
          return (
            <div className="field" key={variable.name}>
              <label htmlFor={id}>
                {variable.name}
                {variable.required ? (
                  <span className="required" aria-hidden="true">
                    {' '}
                    *
                  </span>
                ) : (
                  <span className="muted"> (optional)</span>
                )}
              </label>
              {variable.description && (
                <span className="field__hint" id={`${id}-hint`}>
                  {variable.description}
                </span>
              )}
              <input
                id={id}
                name={variable.name}
                value={values[variable.name] ?? ''}
                placeholder={variable.default ?? undefined}
                required={variable.required}
                aria-invalid={isInvalid || undefined}
                aria-describedby={
                  [variable.description && `${id}-hint`, isInvalid && `${id}-error`]
                    .filter(Boolean)
                    .join(' ') || undefined
                }
                onChange={(event) => {
                  const value = event.target.value;
                  setValues((current) => ({ ...current, [variable.name]: value }));
                  if (isInvalid && value.trim()) {
                    setInvalid((current) => current.filter((name) => name !== variable.name));
                  }
                }}
              />
              {isInvalid && (
                <span className="field__error" id={`${id}-error`}>
                  Enter a value for {variable.name}.
                </span>
              )}
            </div>
          );
        })}
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={result.loading}>
            {result.loading ? 'Running…' : 'Run'}
          </button>
          {data.variables.some((variable) => variable.required) && (
            <span className="muted">
              <span aria-hidden="true">*</span> required
            </span>
          )}
        </div>
      </form>
      <RunOutcome
        result={result}
        priceUsdc={data.priceUsdc}
        templateId={data.id}
        checkout={checkout}
        onPay={pay}
      />
    </section>
  );
}

function RunOutcome({
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
