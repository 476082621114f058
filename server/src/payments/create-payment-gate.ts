import type { PrismaClient } from '../generated/prisma/client.ts';
import { createHttpFacilitator } from './facilitators/http.ts';
import { createLocalFacilitator, LOCAL_FACILITATOR_DESCRIPTION } from './facilitators/local.ts';
import type { PaymentGate } from './payment-gate.ts';
import { DEFAULT_MAX_TIMEOUT_SECONDS, usdcNetworks } from './requirements.ts';
import { createPaymentReservations } from './reservations.ts';
import type { AssetOverride } from './types.ts';
import { createX402Gate } from './x402-gate.ts';

export interface PaymentSettings {
  /** X402_FACILITATOR_URL: unset → the built-in facilitator, whose settlement is SIMULATED. */
  facilitatorUrl: string | undefined;
  facilitatorTimeoutMs: number;
  /** How long one model call may take: the signed authorization must outlive it. */
  modelTimeoutMs: number;
  /** Per network, a token other than its known USDC (e.g. a local test chain's). */
  assets?: Readonly<Record<string, AssetOverride>>;
}

/** The payment gate the server runs with, chosen by its settings. */
export function createPaymentGate(settings: PaymentSettings, prisma: PrismaClient): PaymentGate {
  const { facilitatorUrl, facilitatorTimeoutMs } = settings;
  const facilitator = facilitatorUrl
    ? createHttpFacilitator(facilitatorUrl, { timeoutMs: facilitatorTimeoutMs })
    : // Simulated, so serving every network with a known USDC costs nothing and moves nothing.
      createLocalFacilitator({ networks: usdcNetworks() });
  return createX402Gate({
    facilitator,
    reservations: createPaymentReservations(prisma),
    assets: settings.assets,
    facilitatorTimeoutMs,
    maxTimeoutSeconds: authorizationWindowSeconds(settings),
    description: facilitatorUrl
      ? `x402, settled by the facilitator at ${new URL(facilitatorUrl).origin}`
      : `⚠ ${LOCAL_FACILITATOR_DESCRIPTION} Set X402_FACILITATOR_URL to settle for real.`,
  });
}

/**
 * x402 maxTimeoutSeconds: a client signs an authorization valid for this long, and it must still
 * be valid when the run ends and settles (verify, the model call, settle, and a margin). If it is
 * not, settlement fails safely (the run is FAILED, nothing is charged) — but the payer wasted it.
 */
export function authorizationWindowSeconds({
  facilitatorTimeoutMs,
  modelTimeoutMs,
}: Pick<PaymentSettings, 'facilitatorTimeoutMs' | 'modelTimeoutMs'>): number {
  const needed = Math.ceil((modelTimeoutMs + 2 * facilitatorTimeoutMs) / 1000) + 30;
  return Math.max(DEFAULT_MAX_TIMEOUT_SECONDS, needed);
}
