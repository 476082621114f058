import {
  type DocumentNode,
  GraphQLError,
  getOperationAST,
  getVariableValues,
  Kind,
  visit,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badText, isCleanText } from '../../lib/text.ts';
import { withoutSuggestion } from '../policy.ts';

/**
 * Variables are coerced by graphql-js before any execution, whatever executes the operation
 * (graphql-jit reports errors without a code, and names nested fields as if they were variables).
 * A coercion error is BAD_USER_INPUT naming the operation's own variable; text with NUL or an
 * unpaired surrogate, anywhere in the variables or the document's strings, is refused too.
 */
export function useVariableCoercion({ suggestions = true } = {}): Plugin {
  const refusal = (args: CheckedArgs) => {
    const errors = refusedInput(args, suggestions);
    return errors && { errors };
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = refusal(args);
      if (refused) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = refusal(args);
      if (refused) setResultAndStopExecution(refused);
    },
  };
}

type CheckedArgs = {
  schema: Parameters<typeof getVariableValues>[0];
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: unknown;
};

function refusedInput(args: CheckedArgs, suggestions: boolean): GraphQLError[] | null {
  const operation = getOperationAST(args.document, args.operationName);
  // No such operation: graphql-js' execute says so itself.
  if (!operation) return null;
  const raw = (args.variableValues ?? {}) as Record<string, unknown>;
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], raw, {
    maxErrors: 10,
  });
  if (coerced.errors) {
    return coerced.errors.map(
      (error) =>
        // graphql-js quotes the value: a huge one must not come back in full.
        new GraphQLError(truncate(suggestions ? error.message : withoutSuggestion(error.message)), {
          nodes: error.nodes,
          extensions: { code: 'BAD_USER_INPUT', field: variableOf(error) },
        }),
    );
  }
  for (const [name, value] of Object.entries(raw)) {
    if (!isCleanText(name) || !allTextClean(value)) return [badText(name)];
  }
  if (!documentTextClean(args.document)) return [badText()];
  return null;
}

const MAX_MESSAGE_LENGTH = 300;
const truncate = (message: string) =>
  message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message;

/** `$name` in graphql-js' message is the variable at fault (as the client named it). */
const variableOf = (error: GraphQLError) => /^Variable "\$(\w+)"/.exec(error.message)?.[1];

/** Iterative: a deeply nested JSON variable must not overflow the stack. */
function allTextClean(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (!isCleanText(next)) return false;
    } else if (next !== null && typeof next === 'object') {
      for (const [key, item] of Object.entries(next)) {
        if (!isCleanText(key)) return false;
        pending.push(item);
      }
    }
  }
  return true;
}

/** Per parsed document (Yoga caches them): a document is walked once, not per request. */
function cachedPerDocument(check: (document: DocumentNode) => boolean) {
  const results = new WeakMap<DocumentNode, boolean>();
  return (document: DocumentNode) => {
    let result = results.get(document);
    if (result === undefined) {
      result = check(document);
      results.set(document, result);
    }
    return result;
  };
}

const documentTextClean = cachedPerDocument((document) => {
  let clean = true;
  visit(document, {
    StringValue(node) {
      if (!isCleanText(node.value)) {
        clean = false;
        return false;
      }
      return undefined;
    },
  });
  return clean;
});

/**
 * Whether a variable sits inside an object or list literal (`variables: {topic: $x}`):
 * graphql-jit does not substitute those into custom scalars such as JSON, so graphql-js runs
 * such documents.
 */
export const hasVariableInLiteral = cachedPerDocument((document) => {
  let found = false;
  visit(document, {
    Variable(_node, _key, _parent, _path, ancestors) {
      if (
        ancestors.some(
          (ancestor) =>
            !Array.isArray(ancestor) &&
            ((ancestor as { kind?: string }).kind === Kind.OBJECT ||
              (ancestor as { kind?: string }).kind === Kind.LIST),
        )
      ) {
        found = true;
      }
    },
  });
  return found;
});
