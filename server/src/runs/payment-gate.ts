import type { Viewer } from '../auth.ts';
import { apiError } from '../errors.ts';
import type { Server, Template } from '../generated/prisma/client.ts';

export type RunnableTemplate = Template & {
  server: Pick<Server, 'registeredById' | 'verifiedOwnerId'>;
};

export const isOwner = (template: RunnableTemplate, viewer: Viewer | null) =>
  viewer !== null &&
  (template.server.registeredById === viewer.id || template.server.verifiedOwnerId === viewer.id);

export interface PaymentRequest {
  template: RunnableTemplate;
  viewer: Viewer | null;
  /** The x402 payment as sent (PAYMENT-SIGNATURE header or the `payment` input field). */
  payment: string | null;
  /** The URL the payment is for (the GraphQL endpoint). */
  resourceUrl: string;
}

export type SettleOutcome =
  | { ok: true; transaction: string; network: string; payer: string }
  | { ok: false; error: string };

/** What a run costs the caller, decided before any paid work starts. */
export type Charge =
  | { kind: 'free' }
  | {
      kind: 'paid';
      payer: string;
      /** USDC decimal string. */
      amount: string;
      network: string;
      /** Recorded in the log as payment_signature. */
      signature: string;
      /** Called only after a successful model run; never twice. */
      settle(): Promise<SettleOutcome>;
      /** Called when the run failed: the caller is not charged. */
      release(): Promise<void>;
    };

/** The payment step of the run pipeline: it runs before the model call, settlement after. */
export interface PaymentGate {
  readonly description: string;
  authorize(request: PaymentRequest): Promise<Charge>;
}

/** Without payments: owners and free templates run; everyone else is asked to pay. */
export const freeRunsOnly: PaymentGate = {
  description: 'none (priced templates run for their owners only)',
  async authorize({ template, viewer }) {
    if (isOwner(template, viewer) || template.priceUsdc.isZero()) return { kind: 'free' };
    throw apiError(
      'PAYMENT_REQUIRED',
      `Running "${template.name}" costs ${template.priceUsdc.toFixed()} USDC; payments are not enabled on this server`,
    );
  },
};
