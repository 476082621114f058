import { type FacilitatorConfig, HTTPFacilitatorClient } from '@x402/core/http';

/** The reference x402 facilitator client (POST /verify, POST /settle, GET /supported). */
export function createHttpFacilitator(
  url: string,
  config: Omit<FacilitatorConfig, 'url'> = {},
): HTTPFacilitatorClient {
  return new HTTPFacilitatorClient({ ...config, url });
}
