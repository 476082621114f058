import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  getNamedType,
  getOperationAST,
  isLeafType,
  isObjectType,
  isSchema,
  Kind,
  print,
} from 'graphql';
import { isAsyncIterable } from 'graphql-yoga';

/**
 * Execution fields resolved from the row's own columns alone: no arguments, no context, no other
 * table. A live event that selects only these is the same for every viewer who may read the row
 * (RLS is per row: who may read it reads all of its columns), so it is executed once per
 * (document, row state) on an instance, whoever receives it. `template` and `caller` read other
 * tables as the viewer, so a document selecting them is executed per viewer as before.
 */
export const EXECUTION_COLUMN_FIELDS: ReadonlySet<string> = new Set([
  '__typename',
  'id',
  'payerAddress',
  'status',
  'errorMessage',
  'inputTokens',
  'outputTokens',
  'amountPaid',
  'paymentSignature',
  'paymentTransaction',
  'network',
  'executionTimeMs',
  'createdAt',
  'completedAt',
  'logPosition',
]);

/** Root fields whose events are an Execution row (the field resolves to the event itself). */
const ROW_EVENT_FIELDS = new Set(['executionLogged']);

const documentKeys = new WeakMap<DocumentNode, string>();

/**
 * The key of the result shape of a subscription whose every event is a row and which selects only
 * EXECUTION_COLUMN_FIELDS (no directives, fragments or arguments below the root field); null when
 * the result may depend on anything else (the viewer, variables).
 */
export function rowResultKey(args: ExecutionArgs): string | null {
  if (!isSchema(args.schema)) return null;
  const operation = getOperationAST(args.document, args.operationName);
  if (operation?.operation !== 'subscription') return null;
  const [root, ...others] = operation.selectionSet.selections;
  if (!root || others.length > 0 || root.kind !== Kind.FIELD) return null;
  if (!ROW_EVENT_FIELDS.has(root.name.value) || root.directives?.length) return null;
  const rootType = args.schema.getSubscriptionType()?.getFields()[root.name.value]?.type;
  const fields = rootType && getNamedType(rootType);
  if (!isObjectType(fields)) return null;
  for (const selection of root.selectionSet?.selections ?? []) {
    if (selection.kind !== Kind.FIELD) return null;
    if (selection.arguments?.length || selection.directives?.length || selection.selectionSet)
      return null;
    const name = selection.name.value;
    if (!EXECUTION_COLUMN_FIELDS.has(name)) return null;
    const field = fields.getFields()[name];
    if (name !== '__typename' && (!field || !isLeafType(getNamedType(field.type)))) return null;
  }
  let text = documentKeys.get(args.document);
  if (text === undefined) {
    text = print(args.document);
    documentKeys.set(args.document, text);
  }
  return `${args.operationName ?? ''}\n${text}`;
}

type Result = ExecutionResult | Promise<ExecutionResult>;

/** Results by row object (the feed hands one object to every member) and result shape. */
const resultsByRow = new WeakMap<object, Map<string, Result>>();

/** Row results executed, for tests (a row shared by N subscribers counts once). */
export const rowResultCounters = { executed: 0 };

function resultFor(key: string, row: unknown, args: ExecutionArgs): Result {
  if (typeof row !== 'object' || row === null) return execute({ ...args, rootValue: row });
  let byKey = resultsByRow.get(row);
  if (!byKey) {
    byKey = new Map();
    resultsByRow.set(row, byKey);
  }
  let result = byKey.get(key);
  if (!result) {
    rowResultCounters.executed++;
    // As graphql-js's subscribe executes each event (rootValue: the event), on a copy of the
    // context: Pothos caches authorisation per context object, and the subscription's context
    // lives as long as its socket; the copy's cache goes with this one execution.
    result = execute({
      ...args,
      rootValue: row,
      contextValue: { ...(args.contextValue as object) },
    });
    byKey.set(key, result);
  }
  return result;
}

/**
 * graphql-js's subscribe, except that each event's result is shared by every subscription with
 * the same `key` (rowResultKey) that receives the same row object: one execution, one result
 * object (which graphql-ws.ts then serialises once). Results are shared: never mutate them.
 */
export async function subscribeSharingRowResults(
  args: ExecutionArgs,
  key: string,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source as ExecutionResult;
  const rows = source[Symbol.asyncIterator]();
  const done = { done: true, value: undefined } as const;
  // An iterator, not an async generator: return() must reach the source at once, even while a
  // next() waits for an event (a generator would queue it behind that next()).
  const results: AsyncIterableIterator<ExecutionResult> = {
    [Symbol.asyncIterator]: () => results,
    async next() {
      const event = await rows.next();
      if (event.done) return done;
      return { done: false, value: await resultFor(key, event.value, args) };
    },
    async return() {
      await rows.return?.();
      return done;
    },
    async throw(error?: unknown) {
      await rows.return?.();
      throw error;
    },
  };
  return results;
}
