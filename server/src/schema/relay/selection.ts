import { collectSubFields } from '@graphql-tools/utils';
import {
  type FieldNode,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  getNamedType,
  isObjectType,
} from 'graphql';

/**
 * Names of the fields selected at `path` below the resolving field, as execution collects them:
 * through fragments, with @skip and @include evaluated.
 */
export function selectedFields(info: GraphQLResolveInfo, path: string[]): Set<string> {
  let type: GraphQLNamedType | undefined = getNamedType(info.returnType);
  let fieldNodes = info.fieldNodes as FieldNode[];
  for (const name of path) {
    if (!isObjectType(type)) return new Set();
    fieldNodes = subFields(info, type, fieldNodes).filter((field) => field.name.value === name);
    type = getNamedType(type.getFields()[name]?.type);
  }
  if (!isObjectType(type)) return new Set();
  return new Set(subFields(info, type, fieldNodes).map((field) => field.name.value));
}

/** The fields selected below `fieldNodes` (of `type`), under every alias. */
function subFields(info: GraphQLResolveInfo, type: GraphQLObjectType, fieldNodes: FieldNode[]) {
  const { fields } = collectSubFields(
    info.schema,
    info.fragments,
    info.variableValues,
    type,
    fieldNodes,
  );
  return [...fields.values()].flat();
}
