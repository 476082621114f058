import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  buildTemplatePaymentRequired,
  type PaymentInvalidReason,
  type PaymentRequirements,
  type PricedTemplate,
} from '../../src/payments/index.ts';
import { createStockClient, signPayment } from '../support/evm/stock-client.ts';

export const BASE_SEPOLIA_USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
export const RESOURCE_URL = 'https://promptmeter.test/graphql';

export const payer = privateKeyToAccount(generatePrivateKey());
export const payTo = privateKeyToAccount(generatePrivateKey()).address;
export const stranger = privateKeyToAccount(generatePrivateKey()).address;

export const template: PricedTemplate = {
  id: 'tpl_1',
  name: 'Summarize',
  description: 'Summarize a document',
  priceUsdc: '0.010000',
  payTo,
  network: 'eip155:84532',
};

export function invalid(reason: PaymentInvalidReason) {
  return { extensions: { code: 'PAYMENT_INVALID', reason } };
}

/** The template's requirements, and a payment for them signed by the stock x402 client. */
export async function stockPayment() {
  const paymentRequired = buildTemplatePaymentRequired(template, RESOURCE_URL);
  const requirements = paymentRequired.accepts[0] as PaymentRequirements;
  const { payload, header } = await signPayment(createStockClient(payer), paymentRequired);
  return { paymentRequired, requirements, payload, header };
}
