import { wrapFetchWithPayment } from '@x402/fetch';
import { describe, expect, it } from 'vitest';
import {
  buildTemplatePaymentRequired,
  decodePaymentSignature,
  type PaymentRequired,
  type PaymentRequirements,
  paymentRequiredError,
  verifyPaymentLocally,
} from '../../src/payments/index.ts';
import { createStockClient } from '../support/evm/stock-client.ts';
import { payer, RESOURCE_URL, template } from './x402-support.ts';

describe('an unmodified @x402/fetch client against a 402 GraphQL error', () => {
  it('reads PAYMENT-REQUIRED, pays, and retries with a PAYMENT-SIGNATURE we accept', async () => {
    const paymentRequired: PaymentRequired = buildTemplatePaymentRequired(template, RESOURCE_URL);
    const requirements = paymentRequired.accepts[0] as PaymentRequirements;
    const signatures: string[] = [];
    // What graphql-yoga sends for a result whose error carries extensions.http.
    const yogaLike = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const signature = request.headers.get('PAYMENT-SIGNATURE');
      if (!signature) {
        const error = paymentRequiredError(paymentRequired);
        const http = error.extensions.http as { status: number; headers: Record<string, string> };
        return new Response(JSON.stringify({ errors: [error.toJSON()] }), {
          status: http.status,
          headers: { 'content-type': 'application/json', ...http.headers },
        });
      }
      signatures.push(signature);
      return Response.json({ data: { runTemplate: { ok: true } } });
    };
    const payingFetch = wrapFetchWithPayment(yogaLike, createStockClient(payer));

    const response = await payingFetch(RESOURCE_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ runTemplate { ok } }' }),
    });

    expect(response.status).toBe(200);
    expect(signatures).toHaveLength(1);
    const payload = decodePaymentSignature(signatures[0] ?? '');
    await expect(verifyPaymentLocally(payload, requirements)).resolves.toMatchObject({
      payer: payer.address,
      amount: '10000',
    });
  });

  it('does not pay when the 402 has no PAYMENT-REQUIRED header (v2 requirements in a JSON body are ignored)', async () => {
    const paymentRequired = buildTemplatePaymentRequired(template, RESOURCE_URL);
    const bodyOnly = async () =>
      Response.json({ errors: [{ extensions: { x402: paymentRequired } }] }, { status: 402 });
    const payingFetch = wrapFetchWithPayment(bodyOnly, createStockClient(payer));

    await expect(payingFetch(RESOURCE_URL)).rejects.toThrow(/Failed to parse payment requirements/);
  });
});
