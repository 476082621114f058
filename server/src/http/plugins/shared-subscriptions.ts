import { type DocumentNode, type ExecutionArgs, getOperationAST, Kind, print } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../../schema/context.ts';
import { rowResultKey, subscribeSharingRowResults } from './row-results.ts';
import { SharedStream, type SubscribeFn } from './shared-stream.ts';

/**
 * Subscriptions with the same key (viewer, document, operation name, variables) share one
 * source stream and one execution per event on this instance; each result is multicast to every
 * subscriber of the key. Without it, every subscription executes every event on its own.
 * Besides, live rows selecting only their columns share their results across viewers and
 * resumed streams (row-results.ts).
 */
export function useSharedSubscriptions(): Plugin {
  const streams = new Map<string, SharedStream>();
  const documentTexts = new WeakMap<DocumentNode, string>();

  const keyOf = (args: ExecutionArgs) => {
    let text = documentTexts.get(args.document);
    if (text === undefined) {
      text = print(args.document);
      documentTexts.set(args.document, text);
    }
    const viewerId = (args.contextValue as Context | undefined)?.viewer?.id ?? null;
    return JSON.stringify([
      viewerId,
      text,
      args.operationName ?? null,
      args.variableValues ?? null,
    ]);
  };

  return {
    onSubscribe({ subscribeFn, setSubscribeFn }) {
      const graphqlSubscribe = subscribeFn as SubscribeFn;
      setSubscribeFn(async (args: ExecutionArgs) => {
        // Events that are rows, selecting only the row's columns: one execution per row state and
        // document on this instance, whichever viewers (resumed or not) receive it.
        const rowKey = rowResultKey(args);
        const subscribe: SubscribeFn =
          rowKey === null
            ? graphqlSubscribe
            : (subscribeArgs) => subscribeSharingRowResults(subscribeArgs, rowKey);
        // A stream resumed from a position first catches up: a subscriber joining it later
        // would miss what it had already delivered. It gets one of its own.
        if (resumesFromPosition(args)) return subscribe(args);
        // A subscription that does something (runTemplate runs a template) is never shared.
        if (!readsOnly(args)) return subscribe(args);
        const key = keyOf(args);
        let stream = streams.get(key);
        if (!stream) {
          stream = new SharedStream(() => {
            if (streams.get(key) === stream) streams.delete(key);
          });
          streams.set(key, stream);
          stream.open(subscribe, sharedArgs(args));
        }
        return stream.join();
      });
    },
  };
}

/**
 * The first subscriber's arguments, with a context of only what a shared execution may use.
 * Executing every subscriber's events with one context is sound only because the key includes
 * the viewer: this context (database client, authorisation) is the viewer's, so RLS still
 * decides per viewer. Picked field by field: what Yoga, graphql-ws.ts or context.ts put in the
 * context for one request or socket is left out, and a field added to Context fails to compile
 * here until it is picked (or reset) on purpose.
 */
function sharedArgs(args: ExecutionArgs): ExecutionArgs {
  const context = args.contextValue as Context;
  const contextValue: Context = {
    viewer: context.viewer,
    db: context.db,
    readAsViewer: context.readAsViewer,
    services: context.services,
    resourceUrl: context.resourceUrl,
    // Subscriptions are not rate-limited by address; a later joiner's is not the first's.
    clientAddress: null,
    // A subscription pays for nothing: the first subscriber's credential must not outlive it.
    paymentHeader: null,
    // Not the first subscriber's response (if it is HTTP at all): these headers go nowhere.
    responseHeaders: new Headers(),
  };
  // No `signal` (one subscriber's request aborting must not end the others') and no rootValue
  // (graphql-ws.ts passes the first socket's enveloped functions there).
  const {
    signal: _signal,
    rootValue: _rootValue,
    ...rest
  } = args as ExecutionArgs & {
    signal?: AbortSignal;
  };
  return { ...rest, contextValue };
}

/** Root fields whose streams only read, so subscribers with one key may share them. */
const SHAREABLE_FIELDS = new Set(['executionLogged']);

function readsOnly(args: ExecutionArgs): boolean {
  const operation = getOperationAST(args.document, args.operationName);
  const selections = operation?.selectionSet.selections ?? [];
  return selections.every(
    (selection) => selection.kind === Kind.FIELD && SHAREABLE_FIELDS.has(selection.name.value),
  );
}

/** Whether the subscription's root field has a non-null `after` (a position to resume from). */
function resumesFromPosition(args: ExecutionArgs): boolean {
  const operation = getOperationAST(args.document, args.operationName);
  const [field] = operation?.selectionSet.selections ?? [];
  if (field?.kind !== Kind.FIELD) return false;
  const after = field.arguments?.find((argument) => argument.name.value === 'after')?.value;
  if (!after || after.kind === Kind.NULL) return false;
  if (after.kind !== Kind.VARIABLE) return true;
  return (args.variableValues as Record<string, unknown> | undefined)?.[after.name.value] != null;
}
