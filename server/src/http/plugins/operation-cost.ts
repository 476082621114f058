import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLInterfaceType,
  type GraphQLNamedType,
  GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  Kind,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/**
 * What an operation costs, counted on its document with its variables before anything runs:
 * every field costs 1 (`totalCount`, a COUNT over rows, costs 10); the `edges` of a connection
 * count `first` times (its default when absent); `nodes(ids)` counts its selection once per id.
 * So `templates(first: 100) { edges { node { executions(first: 100) { edges { node { id } } } } } }`
 * costs about 100 × 100 × 3. Introspection fields (`__typename`, `__schema`) cost nothing.
 */
export interface OperationCost {
  cost: number;
  /** The longest `nodes(ids)` list in the operation. */
  largestIdList: number;
}

const FIELD_WEIGHTS: Record<string, number> = { totalCount: 10 };
/** A connection's page size when the operation gives none and the schema has no default. */
const FALLBACK_PAGE_SIZE = 100;

export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): OperationCost {
  const operation = getOperationAST(document, operationName);
  const result: OperationCost = { cost: 0, largestIdList: 0 };
  if (!operation) return result;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(definition.name.value, definition);
    }
  }
  const values = variables ?? {};
  // A variable left out takes its default from the operation (`$first: Int = 100`).
  const defaults = new Map<string, ValueNode>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue)
      defaults.set(definition.variable.name.value, definition.defaultValue);
  }
  const argumentValue = (node: ValueNode): unknown => {
    if (node.kind === Kind.VARIABLE) {
      const name = node.name.value;
      if (values[name] !== undefined) return values[name];
      const fallback = defaults.get(name);
      return fallback && fallback.kind !== Kind.VARIABLE ? argumentValue(fallback) : undefined;
    }
    if (node.kind === Kind.INT) return Number(node.value);
    if (node.kind === Kind.LIST) return node.values;
    return undefined;
  };
  // A fragment costs the same wherever it is spread: counted once (no blow-up from fragments
  // spread many times inside each other).
  const fragmentCosts = new Map<string, number>();

  function selectionCost(
    selectionSet: SelectionSetNode,
    parent: GraphQLNamedType | undefined,
    edgesMultiplier: number,
  ): number {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition
          ? schema.getType(selection.typeCondition.name.value)
          : parent;
        cost += selectionCost(selection.selectionSet, type, edgesMultiplier);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment) continue;
        // Its edges (if it is on a connection) repeat as often as where it is spread.
        const key = `${selection.name.value}:${edgesMultiplier}`;
        let fragmentCost = fragmentCosts.get(key);
        if (fragmentCost === undefined) {
          fragmentCosts.set(key, 0); // cycles are refused by validation; this only guards
          fragmentCost = selectionCost(
            fragment.selectionSet,
            schema.getType(fragment.typeCondition.name.value),
            edgesMultiplier,
          );
          fragmentCosts.set(key, fragmentCost);
        }
        cost += fragmentCost;
        continue;
      }
      const name = selection.name.value;
      if (name.startsWith('__')) continue;
      const field =
        parent instanceof GraphQLObjectType || parent instanceof GraphQLInterfaceType
          ? parent.getFields()[name]
          : undefined;
      let own = FIELD_WEIGHTS[name] ?? 1;
      if (!field || !selection.selectionSet) {
        cost += own;
        continue;
      }
      const type = getNamedType(field.type);
      let pageSize = 1;
      let repeat = 1;
      const firstArg = field.args.find((arg) => arg.name === 'first');
      if (firstArg) {
        const given = selection.arguments?.find((arg) => arg.name.value === 'first');
        const value = given ? argumentValue(given.value) : undefined;
        pageSize = positiveInteger(value ?? firstArg.defaultValue, FALLBACK_PAGE_SIZE);
      }
      if (name === 'nodes') {
        const ids = selection.arguments?.find((arg) => arg.name.value === 'ids');
        const list = ids ? argumentValue(ids.value) : undefined;
        repeat = Array.isArray(list) ? list.length : 1;
        result.largestIdList = Math.max(result.largestIdList, repeat);
      }
      // A connection's edges repeat once per row of its page; the rest of it (pageInfo,
      // totalCount) once.
      const multiplier = name === 'edges' ? edgesMultiplier : 1;
      own += selectionCost(selection.selectionSet, type, pageSize) * repeat;
      cost += own * multiplier;
    }
    return cost;
  }

  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  result.cost = selectionCost(operation.selectionSet, root ?? undefined, 1);
  return result;
}

function positiveInteger(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
  // A `first` the resolver will refuse (0, negative, not a number) costs the largest page.
  return value === undefined || value === null ? fallback : FALLBACK_PAGE_SIZE;
}
