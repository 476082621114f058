import type { InMemoryCache } from '@apollo/client';
import { useMutation } from '@apollo/client/react';
import { useRef, useState } from 'react';
import { addRunToHistory } from '../executions/liveExecutions.ts';
import { graphql } from '../gql/index.ts';
import { errorCode, errorExtensions } from '../lib/errors.ts';
import { asPaymentRequired, type PaymentRequired } from '../payments/x402.ts';

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

interface RunInput {
  templateId: string;
  variables: Record<string, string>;
}

/** A run that asked for payment: the same input is sent again with the signed payment. */
export interface Checkout {
  input: RunInput;
  requirements: PaymentRequired | null;
}

/**
 * Runs a template; when the run asks for payment, keeps the checkout (the run and what to pay)
 * until the payer signs, then sends the same run again, paid.
 */
export function useCheckout() {
  const [run, result] = useMutation(RunTemplateMutation, {
    // The new run shows in the history at once, not after the subscription's round trip.
    update: (cache: InMemoryCache, { data }, { variables }) => {
      if (!data || !variables) return;
      // An ID input's type allows numbers; ours is always the template's string id.
      const templateId = String(variables.input.templateId);
      addRunToHistory(cache, templateId, data.executeTemplate.execution);
    },
  });
  const [checkout, setCheckoutState] = useState<Checkout | null>(null);
  // Read when a wallet has signed, which may be after a new Run replaced the checkout.
  const checkoutRef = useRef<Checkout | null>(null);
  const setCheckout = (next: Checkout | null) => {
    checkoutRef.current = next;
    setCheckoutState(next);
  };

  async function start(input: RunInput) {
    setCheckout(null);
    try {
      await run({ variables: { input } });
    } catch (error) {
      // Shown from `result.error`; a priced run opens the payment prompt.
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

  return { result, checkout, start, pay };
}
