import { buildSchema, type GraphQLResolveInfo, graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import { selectedFields } from '../../src/schema/relay/selection.ts';

const seen: Record<string, string[]> = {};
const schema = buildSchema(`
  type Query { things: ThingConnection }
  type ThingConnection { totalCount: Int, edges: [ThingEdge] }
  type ThingEdge { node: Thing }
  type Thing { id: ID, name: String }
`);
// graphql-js calls a root value's function fields as resolvers (args, context, info).
const rootValue = {
  things: (_args: unknown, _context: unknown, info: GraphQLResolveInfo) => {
    seen.top = [...selectedFields(info, [])].sort();
    seen.node = [...selectedFields(info, ['edges', 'node'])].sort();
    return null;
  },
};

const source = `query($withName: Boolean!) {
  things {
    count: totalCount @skip(if: true)
    edges { node { id } }
    ...Edges
  }
}
fragment Edges on ThingConnection {
  all: edges { node { ... on Thing { name @include(if: $withName) } } }
}`;

describe('selectedFields', () => {
  it('names the fields at a path, through fragments and aliases, with @skip/@include evaluated', async () => {
    for (const withName of [false, true]) {
      const result = await graphql({ schema, rootValue, source, variableValues: { withName } });
      expect(result.errors).toBeUndefined();
      expect(seen).toEqual({ top: ['edges'], node: withName ? ['id', 'name'] : ['id'] });
    }
  });
});
