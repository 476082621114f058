import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { unauthenticated } from '../lib/api-errors.ts';
import type { Context } from './context.ts';
import { decodeNodeId } from './relay/ids.ts';
import { DecimalResolver } from './scalars.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { signedIn: boolean };
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    Decimal: { Input: string; Output: Prisma.Decimal | string };
  };
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (context) => ({ signedIn: context.viewer !== null }),
    unauthorizedError: () => unauthenticated(),
  },
  prisma: {
    // Fallback loads (relations the query did not include) also go through the viewer's RLS.
    client: (context) => context.db,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'error',
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // Malformed ids are BAD_USER_INPUT, never a database error.
    decodeGlobalID: decodeNodeId,
    nodeTypeOptions: { description: 'An object with a globally unique id (Relay).' },
    pageInfoTypeOptions: { description: 'Relay connection paging state.' },
  },
});

builder.addScalarType('DateTime', DateTimeResolver, {});
builder.addScalarType('JSON', JSONResolver, {});
builder.addScalarType('Decimal', DecimalResolver, {});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
