import { errorCode, errorExtensions } from '../lib/errors.ts';
import { isWalletError } from './walletError.ts';
import { networkName } from './x402.ts';

/** A payment problem in words: what happened, and what to do about it. */
export interface Explanation {
  title: string;
  detail: string;
}

const SIGN_AGAIN = 'Pay again to sign a new authorization.';

/** PAYMENT_INVALID reasons (docs/payments.md), in words. */
const INVALID: Record<string, Explanation> = {
  expired: {
    title: 'The payment authorization expired.',
    detail: `It reached the server too late to be used. ${SIGN_AGAIN} If this keeps happening, check that your device's clock is right.`,
  },
  not_yet_valid: {
    title: 'The payment authorization is not valid yet.',
    detail: `Your device's clock may be ahead of the server's. Check it, then pay again.`,
  },
  invalid_signature: {
    title: 'The payment signature is invalid.',
    detail: `It was not signed by the paying address (smart-contract wallets cannot pay here). ${SIGN_AGAIN}`,
  },
  amount_mismatch: {
    title: 'The price changed since you signed.',
    detail: `The authorization is not for the exact price of a run. Check the price above, then pay again.`,
  },
  payee_mismatch: {
    title: 'The payment was for another recipient.',
    detail: `It does not pay this template's address. ${SIGN_AGAIN}`,
  },
  network_mismatch: {
    title: 'The payment was for another network.',
    detail: SIGN_AGAIN,
  },
  asset_mismatch: {
    title: 'The payment was in another token.',
    detail: `Runs are paid in USDC. ${SIGN_AGAIN}`,
  },
  resource_mismatch: {
    title: 'The payment was signed for another template.',
    detail: `A payment pays for the template it was signed for only. ${SIGN_AGAIN}`,
  },
  scheme_mismatch: {
    title: 'The payment uses a scheme this server does not take.',
    detail: SIGN_AGAIN,
  },
  malformed: {
    title: 'The server could not read the payment.',
    detail: SIGN_AGAIN,
  },
};

/** PAYMENT_FAILED reasons, in words; any other is a settlement the facilitator refused. */
const FAILED: Record<string, Explanation> = {
  facilitator_unavailable: {
    title: 'The payment service could not be reached.',
    detail: 'Nothing ran and you were not charged. Try again in a moment.',
  },
  settlement_unknown: {
    title: 'The payment has no clear outcome yet.',
    detail:
      'The run finished, but the settlement did not answer in time, so the output is withheld. ' +
      'It is never settled twice; if the transfer did happen, the operator owes you a refund.',
  },
};

/**
 * Explains why paying did not work: a wallet problem (WalletError) or the server's answer to the
 * paid run (extensions.code and reason). Null for anything that is not a payment problem.
 */
export function explainPaymentProblem(error: unknown, network?: string): Explanation | null {
  const where = network ? networkName(network) : 'the payment network';
  if (isWalletError(error)) {
    switch (error.problem) {
      case 'rejected':
        return {
          title: 'You declined the request in your wallet.',
          detail: 'Nothing was signed and nothing was paid. Pay again when you are ready.',
        };
      case 'wrong_chain':
        return {
          title: `Your wallet is not on ${where}.`,
          detail: `${error.message} Switch your wallet to ${where}${network ? ` (${network})` : ''}, then pay again.`,
        };
      case 'no_wallet':
        return {
          title: 'No browser wallet found.',
          detail: 'Install a wallet extension (see below), then reload this page.',
        };
      case 'no_account':
        return {
          title: 'Your wallet shared no account.',
          detail: 'Unlock your wallet, allow this site to see an account, then pay again.',
        };
      case 'unsupported':
        return { title: 'This payment cannot be made from this page.', detail: error.message };
      case 'load_failed':
        return {
          title: 'The payment code could not be loaded.',
          detail: 'Check your connection, or reload the page, then pay again.',
        };
      default:
        return { title: 'Your wallet could not sign the payment.', detail: error.message };
    }
  }
  const reason = String(errorExtensions(error).reason ?? '');
  switch (errorCode(error)) {
    case 'PAYMENT_INVALID':
      return INVALID[reason] ?? { title: 'The server refused the payment.', detail: SIGN_AGAIN };
    case 'PAYMENT_ALREADY_USED':
      return {
        title: 'This payment was already used.',
        detail: `An authorization pays for one run only. ${SIGN_AGAIN} You are charged once per run.`,
      };
    case 'PAYMENT_FAILED':
      if (FAILED[reason]) return FAILED[reason];
      if (/insufficient|balance/i.test(reason)) {
        return {
          title: `Your wallet does not hold enough USDC on ${where}.`,
          detail: 'Nothing was charged, and the output is withheld. Add USDC, then pay again.',
        };
      }
      return {
        title: 'The payment could not be settled.',
        detail: `The settlement failed${reason ? ` (${reason})` : ''}, so you were not charged and the output is withheld. ${SIGN_AGAIN}`,
      };
    case 'PAYMENT_UNAVAILABLE':
      return {
        title: `This server takes no payments on ${where}.`,
        detail: "Nothing can be paid for this template here: ask the template's owner.",
      };
    default:
      return null;
  }
}
