import { type SpendControlAsset, x402Client, x402HTTPClient } from '@x402/core/client';
import type { PaymentPayload, PaymentRequired } from '@x402/core/types';
import type { ClientEvmSigner } from '@x402/evm';
import { registerExactEvmScheme } from '@x402/evm/exact/client';

/**
 * The buyer side exactly as @x402/fetch assembles it: x402Client + the exact EVM client scheme.
 * Tokens that are not a network's default USDC (a local chain's) must be allowed explicitly.
 */
export function createStockClient(
  signer: ClientEvmSigner,
  allowedAssets?: SpendControlAsset[],
): x402HTTPClient {
  const client = registerExactEvmScheme(new x402Client(), { signer });
  if (allowedAssets) client.setSpendControls({ allowedAssets });
  return new x402HTTPClient(client);
}

export async function signPayment(
  client: x402HTTPClient,
  paymentRequired: PaymentRequired,
): Promise<{ payload: PaymentPayload; header: string }> {
  const payload = await client.createPaymentPayload(paymentRequired);
  const header = client.encodePaymentSignatureHeader(payload)['PAYMENT-SIGNATURE'];
  if (!header) throw new Error('the stock client produced no PAYMENT-SIGNATURE header');
  return { payload, header };
}
