import {
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  getArgumentValues,
  getOperationAST,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { apiError } from '../lib/api-errors.ts';

/** The mutation field that runs a template, and so may be paid for. */
export const PAID_FIELD = 'executeTemplate';

/**
 * One payment pays for one run. An operation that runs several templates with a payment
 * attached (the PAYMENT-SIGNATURE header, or `payment` in any of its inputs) is refused before
 * anything executes: a second run would replay the payment, and one 402 answer cannot ask for
 * two payments. Several free runs in one operation are still fine.
 */
export function useOnePaidFieldPerOperation(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const fields = rootFields(args.document, operation.selectionSet);
      if (fields.length < 2) return;
      const header = (args.contextValue as { paymentHeader?: string | null }).paymentHeader;
      const variables = args.variableValues ?? {};
      if (header || fields.some((field) => hasPayment(args.schema, field, variables))) {
        setResultAndStopExecution({
          errors: [
            apiError(
              'BAD_USER_INPUT',
              `At most one paid field per operation: send each ${PAID_FIELD} with a payment as its own request`,
              { http: { status: 400 } },
            ),
          ],
        });
      }
    },
  };
}

/** The root fields named PAID_FIELD, through fragments and inline fragments (no cycles in valid documents). */
function rootFields(document: DocumentNode, selectionSet: SelectionSetNode): FieldNode[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD)
      return selection.name.value === PAID_FIELD ? [selection] : [];
    if (selection.kind === Kind.INLINE_FRAGMENT)
      return rootFields(document, selection.selectionSet);
    const fragment = document.definitions.find(
      (definition) =>
        definition.kind === Kind.FRAGMENT_DEFINITION &&
        definition.name.value === selection.name.value,
    );
    return fragment?.kind === Kind.FRAGMENT_DEFINITION
      ? rootFields(document, fragment.selectionSet)
      : [];
  });
}

function hasPayment(
  schema: GraphQLSchema,
  field: FieldNode,
  variables: Readonly<Record<string, unknown>>,
): boolean {
  const definition = schema.getMutationType()?.getFields()[PAID_FIELD];
  if (!definition) return false;
  try {
    const { input } = getArgumentValues(definition, field, variables) as {
      input?: { payment?: unknown };
    };
    return input?.payment !== undefined && input.payment !== null;
  } catch {
    return false; // invalid arguments: execution refuses the field anyway
  }
}
