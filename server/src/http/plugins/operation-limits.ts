import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { type ExecutionArgs, type GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { operationTimeout, queryTooComplex } from '../../lib/api-errors.ts';
import type { OperationLimits } from '../../lib/limits.ts';
import { operationCost } from './operation-cost.ts';

/**
 * Brackets ({ [ () nested deeper than this are refused before parsing: GraphQL's parser recurses
 * once per level, and a 20,000-deep list literal overflowed the stack (HTTP 500 / WS 4500).
 * Field depth is limited further by maxDepth.
 */
export const MAX_NESTING = 64;

/** The deepest bracket nesting of a GraphQL document, outside strings and comments. */
export function documentNesting(source: string): number {
  let depth = 0;
  let deepest = 0;
  for (let at = 0; at < source.length; at++) {
    const char = source[at];
    if (char === '#') {
      while (at < source.length && source[at] !== '\n' && source[at] !== '\r') at++;
    } else if (char === '"') {
      if (source.startsWith('"""', at)) {
        at += 3;
        while (at < source.length && !source.startsWith('"""', at)) {
          at += source.startsWith('\\"""', at) ? 4 : 1;
        }
        at += 2;
      } else {
        at++;
        while (at < source.length && source[at] !== '"' && source[at] !== '\n') {
          at += source[at] === '\\' ? 2 : 1;
        }
      }
    } else if (char === '{' || char === '[' || char === '(') {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (char === '}' || char === ']' || char === ')') {
      depth--;
    }
  }
  return deepest;
}

/** Armor reports "Syntax Error: <message>"; ours carries a code, the limit and its value. */
const refuse = (limit: string, max: number) => (_context: unknown, error: GraphQLError) => {
  throw queryTooComplex(limit, max, error.message.replace(/^Syntax Error: /, ''));
};

/**
 * The static limits (GraphQL Armor: tokens while parsing, depth, aliases and directives while
 * validating, both cached per document by Yoga) and the cost with the operation's variables,
 * checked before execution and subscription. Place before the plugin that compiles execution.
 */
export function useOperationLimits(limits: OperationLimits): Plugin[] {
  const checkCost = (args: ExecutionArgs) => {
    const { cost, largestIdList } = operationCost(
      args.schema,
      args.document,
      args.operationName,
      args.variableValues as Record<string, unknown> | undefined,
    );
    if (largestIdList > limits.maxNodeIds) {
      return queryTooComplex(
        'nodes',
        limits.maxNodeIds,
        `nodes(ids) takes at most ${limits.maxNodeIds} ids, got ${largestIdList}.`,
      );
    }
    if (cost > limits.maxCost) {
      return queryTooComplex(
        'cost',
        limits.maxCost,
        `Query cost limit of ${limits.maxCost} exceeded, found ${cost}: ask for smaller pages or fewer fields.`,
      );
    }
    return null;
  };
  const costPlugin: Plugin = {
    onExecute({ args, setResultAndStopExecution }) {
      const refusal = checkCost(args);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refusal = checkCost(args);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
  };
  const options = (limit: string, n: number) => ({
    n,
    propagateOnRejection: false,
    onReject: [refuse(limit, n)],
  });
  const nestingPlugin: Plugin = {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        const text = typeof source === 'string' ? source : source.body;
        const nesting = documentNesting(text);
        if (nesting > MAX_NESTING) {
          throw queryTooComplex(
            'nesting',
            MAX_NESTING,
            `Brackets nested deeper than ${MAX_NESTING} levels (found ${nesting}).`,
          );
        }
        return parseFn(source, options);
      });
    },
  };
  return [
    maxTokensPlugin(options('tokens', limits.maxTokens)) as Plugin,
    // After the token limit's parser is set: it only looks at the text first.
    nestingPlugin,
    maxDepthPlugin({ ...options('depth', limits.maxDepth), flattenFragments: true }) as Plugin,
    maxAliasesPlugin(options('aliases', limits.maxAliases)) as Plugin,
    maxDirectivesPlugin(options('directives', limits.maxDirectives)) as Plugin,
    costPlugin,
  ];
}

/**
 * Queries answer OPERATION_TIMEOUT after `timeoutMs`. What they started stops at the request
 * role's statement timeout (db/roles.ts). Mutations are not cut: a run has its own deadline, and
 * a write must not be reported as failed after it committed. Place after the plugin that
 * compiles execution: it wraps whatever execute that one chose.
 */
export function useOperationTimeLimit(timeoutMs: number): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return;
      setExecuteFn(async (executeArgs) => {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<{ errors: GraphQLError[] }>((resolve) => {
          timer = setTimeout(
            () =>
              resolve({
                errors: [
                  operationTimeout(
                    `The query ran longer than ${timeoutMs} ms and was stopped: ask for less.`,
                  ),
                ],
              }),
            timeoutMs,
          );
        });
        try {
          return await Promise.race([executeFn(executeArgs), timedOut]);
        } finally {
          clearTimeout(timer);
        }
      });
    },
  };
}
