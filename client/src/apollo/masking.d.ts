import type { GraphQLCodegenDataMasking } from '@apollo/client/masking';

// Apollo's masked types read the ` $fragmentRefs` markers GraphQL Code Generator emits
// (see codegen.ts): FragmentType, Unmasked and MaybeMasked follow the generated types.
declare module '@apollo/client' {
  export interface TypeOverrides extends GraphQLCodegenDataMasking.TypeOverrides {}
}
