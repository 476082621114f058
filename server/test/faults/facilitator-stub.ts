import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createLocalFacilitator,
  type PaymentPayload,
  type PaymentRequirements,
  usdcNetworks,
} from '../../src/payments/index.ts';
import { serveFacilitatorHttp } from '../support/evm/facilitator-server.ts';

/** One settlement the facilitator answered with success: money moved, the payer was charged. */
export interface Charge {
  payer: string;
  /** The EIP-3009 signature (the row's payment_signature). */
  signature: string;
  /** In the token's smallest unit. */
  amount: string;
  transaction: string;
  settledAt: number;
}

export interface FacilitatorStub {
  url: string;
  /** Every settlement answered with success, in order. */
  readonly charges: Charge[];
  /** /settle requests received (answered or not yet). */
  readonly settleRequests: number;
  /** How long /settle takes before it answers (a chain confirming). */
  settleDelayMs: number;
  stop(): Promise<void>;
}

/**
 * A loopback x402 facilitator on the HTTP wire the server's HTTPFacilitatorClient speaks. It
 * checks payments as a real one would (the built-in local facilitator's EIP-3009 checks, replays
 * refused), answers /settle after `settleDelayMs` with a fake transaction hash, and records every
 * charge — also when the server gave up waiting, since a real chain would have settled anyway.
 */
export async function startFacilitatorStub(settleDelayMs = 0): Promise<FacilitatorStub> {
  const local = createLocalFacilitator({ networks: usdcNetworks() });
  const charges: Charge[] = [];
  let settleRequests = 0;
  const served = await serveFacilitatorHttp({
    verify: (payload, requirements) => local.verify(payload, requirements),
    async settle(payload: PaymentPayload, requirements: PaymentRequirements) {
      settleRequests++;
      await sleep(stub.settleDelayMs);
      const settled = await local.settle(payload, requirements);
      if (!settled.success) return settled;
      const transaction = `0x${randomBytes(32).toString('hex')}`;
      charges.push({
        payer: String(settled.payer).toLowerCase(),
        signature: String((payload.payload as { signature?: string }).signature),
        amount: String(settled.amount ?? requirements.amount),
        transaction,
        settledAt: Date.now(),
      });
      return { ...settled, transaction, extra: undefined };
    },
    getSupported: () => local.getSupported(),
  });
  const stub: FacilitatorStub = {
    url: served.url,
    charges,
    get settleRequests() {
      return settleRequests;
    },
    settleDelayMs,
    stop: served.stop,
  };
  return stub;
}
