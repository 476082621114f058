import { collectFields } from '@graphql-tools/utils';
import {
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  getArgumentValues,
  getOperationAST,
  Kind,
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
      const fields = paidFields(args);
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

/**
 * The PAID_FIELD runs of a mutation, as execution collects its root fields: through fragments,
 * with @skip and @include evaluated, one per response key (fields merged under one key run once).
 */
function paidFields({ schema, document, operationName, variableValues }: ExecutionArgs) {
  const operation = getOperationAST(document, operationName);
  const mutationType = schema.getMutationType();
  if (operation?.operation !== 'mutation' || !mutationType) return [];
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  let fields: Map<string, FieldNode[]>;
  try {
    ({ fields } = collectFields(
      schema,
      fragments,
      variableValues ?? {},
      mutationType,
      operation.selectionSet,
    ));
  } catch {
    return []; // a directive's invalid variable: execution refuses the operation anyway
  }
  return [...fields.values()].flatMap(([field]) =>
    field?.name.value === PAID_FIELD ? [field] : [],
  );
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
