import { x402Version } from '@x402/core';
import { keccak256 } from 'viem';
import { isPaymentInvalidError } from '../errors.ts';
import type {
  FacilitatorClient,
  Network,
  PaymentPayload,
  PaymentRequirements,
  SettleResponse,
  SupportedResponse,
  VerifiedPayment,
  VerifyResponse,
} from '../types.ts';
import { verifyPaymentLocally } from '../verify.ts';

export const LOCAL_FACILITATOR_DESCRIPTION =
  'SIMULATED x402 facilitator (offline): it checks signatures, amounts and payees locally, ' +
  'but settles NOTHING on chain and no money moves. For development and tests only.';

export const NONCE_ALREADY_USED = 'nonce_already_used';

export interface LocalFacilitatorOptions {
  /** Networks it accepts; defaults to Base Sepolia. */
  networks?: Network[];
  now?: () => Date;
}

export interface LocalFacilitator extends FacilitatorClient {
  readonly simulated: true;
  readonly description: string;
}

type Checked = { ok: true; payment: VerifiedPayment } | { ok: false; refusal: VerifyResponse };

export function createLocalFacilitator(options: LocalFacilitatorOptions = {}): LocalFacilitator {
  const networks: Network[] = options.networks ?? ['eip155:84532'];
  const now = options.now ?? (() => new Date());
  // Mirrors the token's authorizationState so a replay is refused as it would be on chain.
  const settled = new Set<string>();

  async function check(
    payload: PaymentPayload,
    requirements: PaymentRequirements,
  ): Promise<Checked> {
    if (!networks.includes(requirements.network)) {
      return refuse(
        'network_mismatch',
        `the local facilitator does not serve ${requirements.network}`,
      );
    }
    try {
      const payment = await verifyPaymentLocally(payload, requirements, now());
      if (settled.has(paymentKey(payment))) {
        return refuse(NONCE_ALREADY_USED, 'this authorization was already settled', payment.payer);
      }
      return { ok: true, payment };
    } catch (error) {
      if (!isPaymentInvalidError(error)) throw error;
      return refuse(error.extensions.reason, error.message);
    }
  }

  return {
    simulated: true,
    description: LOCAL_FACILITATOR_DESCRIPTION,

    async verify(payload, requirements): Promise<VerifyResponse> {
      const checked = await check(payload, requirements);
      return checked.ok ? { isValid: true, payer: checked.payment.payer } : checked.refusal;
    },

    async settle(payload, requirements): Promise<SettleResponse> {
      const checked = await check(payload, requirements);
      if (!checked.ok) {
        const { invalidReason, invalidMessage, payer } = checked.refusal;
        return {
          success: false,
          errorReason: invalidReason,
          errorMessage: invalidMessage,
          payer,
          transaction: '',
          network: requirements.network,
        };
      }
      const { payment } = checked;
      settled.add(paymentKey(payment));
      return {
        success: true,
        payer: payment.payer,
        transaction: `simulated:${keccak256(payment.signature)}`,
        network: payment.network,
        amount: payment.amount,
        extra: { simulated: true },
      };
    },

    async getSupported(): Promise<SupportedResponse> {
      return {
        kinds: networks.map((network) => ({ x402Version, scheme: 'exact', network })),
        extensions: [],
        signers: {},
      };
    },
  };
}

function refuse(invalidReason: string, invalidMessage: string, payer?: string): Checked {
  return { ok: false, refusal: { isValid: false, invalidReason, invalidMessage, payer } };
}

function paymentKey({ network, asset, payer, nonce }: VerifiedPayment): string {
  return [network, asset, payer, nonce].join('|').toLowerCase();
}
