import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

function fieldsOf(set: SelectionSetNode, info: GraphQLResolveInfo): FieldNode[] {
  return set.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    const fragment =
      selection.kind === Kind.INLINE_FRAGMENT ? selection : info.fragments[selection.name.value];
    return fragment ? fieldsOf(fragment.selectionSet, info) : [];
  });
}

// Keyed by the field's AST node: Yoga reuses a parsed document, so a repeated operation's
// selection is walked once.
const walked = new WeakMap<FieldNode, Map<string, Set<string>>>();

/**
 * Names of the fields selected at `path` below the resolving field (through fragments;
 * @include/@skip are not evaluated, so a field is counted if it may be selected).
 */
export function selectedFields(info: GraphQLResolveInfo, path: string[]): Set<string> {
  const node = info.fieldNodes[0] as FieldNode;
  const key = `${path.join('.')}|${info.fieldNodes.length}`;
  let byPath = walked.get(node);
  const known = byPath?.get(key);
  if (known) return known;
  let sets = info.fieldNodes.flatMap((field) => (field.selectionSet ? [field.selectionSet] : []));
  for (const name of path) {
    sets = sets.flatMap((set) =>
      fieldsOf(set, info).flatMap((field) =>
        field.name.value === name && field.selectionSet ? [field.selectionSet] : [],
      ),
    );
  }
  const names = new Set(
    sets.flatMap((set) => fieldsOf(set, info).map((field) => field.name.value)),
  );
  if (!byPath) {
    byPath = new Map();
    walked.set(node, byPath);
  }
  byPath.set(key, names);
  return names;
}
