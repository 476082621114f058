import { encodePaymentRequiredHeader } from '@x402/core/http';
import { parseUnits } from 'viem';
import type { Prisma } from '../generated/prisma/client.ts';
import { USDC_DECIMALS } from '../payments/index.ts';
import type { PaymentGate } from '../payments/payment-gate.ts';
import { isOwner, type RunnableTemplate } from '../templates/ownership.ts';
import { builder } from './builder.ts';
import { findRunnableTemplate, Template } from './template.ts';

interface Price {
  priceUsdc: Prisma.Decimal;
  payTo: string;
  network: string;
}

interface PriceView {
  price: Price;
  asset: string | null;
}

const priceView = (price: Price, payments: PaymentGate): PriceView => ({
  price,
  asset: payments.asset(price.network)?.address ?? null,
});

const TemplatePrice = builder.objectRef<PriceView>('TemplatePrice').implement({
  description: 'What one run costs a caller who does not own the template (x402, USDC).',
  fields: (t) => ({
    amount: t.field({
      type: 'Decimal',
      description: 'USDC per run; "0" when runs are free.',
      resolve: ({ price }) => price.priceUsdc,
    }),
    atomicAmount: t.string({
      description:
        'The same in the token\'s smallest unit: the exact "value" a payment authorizes.',
      resolve: ({ price }) => parseUnits(price.priceUsdc.toFixed(), USDC_DECIMALS).toString(),
    }),
    asset: t.string({
      nullable: true,
      description:
        'Token contract address; null when this server takes no payments on the network.',
      resolve: ({ asset }) => asset,
    }),
    assetSymbol: t.string({ resolve: () => 'USDC' }),
    decimals: t.int({ resolve: () => USDC_DECIMALS }),
    network: t.string({
      description: 'CAIP-2 network, e.g. eip155:84532.',
      resolve: ({ price }) => price.network,
    }),
    payTo: t.string({
      description: 'Address the payment goes to.',
      resolve: ({ price }) => price.payTo,
    }),
  }),
});

builder.prismaObjectField(Template, 'price', (t) =>
  t.field({
    type: TemplatePrice,
    select: { priceUsdc: true, payTo: true, network: true },
    resolve: (template, _args, context) => priceView(template, context.services.payments),
  }),
);

interface Quote {
  template: RunnableTemplate;
  view: PriceView;
  viewerMustPay: boolean;
  paymentRequired: ReturnType<PaymentGate['quote']>;
  payments: PaymentGate;
}

const TemplatePaymentRequirements = builder
  .objectRef<Quote>('TemplatePaymentRequirements')
  .implement({
    description: 'The x402 terms of one run, quoted without side effects.',
    fields: (t) => ({
      template: t.field({ type: Template, resolve: (quote) => quote.template }),
      price: t.field({ type: TemplatePrice, resolve: (quote) => quote.view }),
      viewerMustPay: t.boolean({
        description: 'False for its owners (they run it free) and for free templates.',
        resolve: (quote) => quote.viewerMustPay,
      }),
      paymentRequired: t.field({
        type: 'JSON',
        nullable: true,
        description:
          'The x402 v2 PaymentRequired of one run, null when runs are free. Sign it with an x402 ' +
          'client; send the payment in the PAYMENT-SIGNATURE header or in ExecuteTemplateInput.payment.',
        resolve: (quote) => quote.paymentRequired,
      }),
      paymentRequiredHeader: t.string({
        nullable: true,
        description: 'The same, base64-encoded exactly as in the PAYMENT-REQUIRED header.',
        resolve: (quote) =>
          quote.paymentRequired ? encodePaymentRequiredHeader(quote.paymentRequired) : null,
      }),
      simulated: t.boolean({
        description:
          'True when this server only simulates settlement (its built-in offline facilitator): ' +
          'payments are verified, but nothing is sent on chain and no money moves.',
        resolve: (quote) => quote.payments.simulated,
      }),
      settlement: t.string({
        description: 'How this server settles payments, in words.',
        resolve: (quote) => quote.payments.description,
      }),
    }),
  });

builder.queryField('templatePaymentRequirements', (t) =>
  t.field({
    type: TemplatePaymentRequirements,
    description:
      'What running a template costs, as x402 requirements (a quote: nothing is reserved).',
    args: { templateId: t.arg.id({ required: true }) },
    resolve: async (_root, args, context) => {
      const template = await findRunnableTemplate(context, String(args.templateId));
      const paymentRequired = context.services.payments.quote(template, context.resourceUrl);
      return {
        template,
        view: priceView(template, context.services.payments),
        viewerMustPay: paymentRequired !== null && !isOwner(template, context.viewer),
        paymentRequired,
        payments: context.services.payments,
      };
    },
  }),
);
