import type { TypePolicies } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';

export const typePolicies: TypePolicies = {
  Query: {
    fields: {
      // One list per template, whatever the page size: the detail page's 5 most recent and the
      // history page's pages share it, so a live row added on one shows on the other.
      myExecutions: relayStylePagination(['templateId']),
      templates: relayStylePagination(),
    },
  },
  Template: {
    fields: {
      // The owner's run log: one list per filter.
      executions: relayStylePagination(['filter']),
    },
  },
};
