import type { Plugin } from 'graphql-yoga';
import { responseHeaders } from '../context.ts';

/** Sets the headers resolvers put in context.responseHeaders (e.g. PAYMENT-RESPONSE). */
export function useResponseHeaders(): Plugin {
  return {
    onResponse({ request, response }) {
      for (const [name, value] of responseHeaders.get(request) ?? []) {
        response.headers.set(name, value);
      }
    },
  };
}
