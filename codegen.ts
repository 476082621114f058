import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the client, generated from the committed `schema.graphql` (never from
 * server code, so the client builds without the server's dependencies). Output: client/src/gql/,
 * never edited by hand; `npm run generate:client` rewrites it.
 *
 * Masking: we use Apollo Client's data masking (`dataMasking: true` in client/src/apollo/client.ts)
 * and turn the preset's own fragment masking off. Apollo's docs advise against running both:
 * the preset's masking is types-only (components unwrap refs with codegen's `useFragment`
 * helper, and the runtime data still holds every field), while Apollo's masks at runtime too and
 * lets a component re-render only when its own fragment changes (`useFragment` from
 * @apollo/client/react). So the runtime and the types agree, the operation types are generated
 * the way Apollo's codegen guide says for data masking: fragment spreads become
 * ` $fragmentRefs` (`inlineFragmentTypes: 'mask'`) and `@unmask` spreads stay inline
 * (`customDirectives.apolloUnmask`). client/src/apollo/masking.d.ts tells Apollo's types to read
 * these (GraphQLCodegenDataMasking.TypeOverrides).
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['client/src/**/*.{ts,tsx}', '!client/src/gql/**', '!client/src/**/*.test.{ts,tsx}'],
  ignoreNoDocuments: false,
  generates: {
    'client/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        customDirectives: { apolloUnmask: true },
        inlineFragmentTypes: 'mask',
        // Apollo Client always adds __typename (but not on root types).
        nonOptionalTypename: true,
        skipTypeNameForRoot: true,
        avoidOptionals: { field: true, inputValue: false },
        defaultScalarType: 'unknown',
        scalars: {
          DateTime: 'string',
          Decimal: 'string',
          JSON: 'unknown',
        },
        strictScalars: true,
        enumsAsTypes: true,
        dedupeOperationSuffix: true,
        useTypeImports: true,
        importExtension: '.ts',
      },
    },
    // Every enum of the schema as a string union. The preset above emits only the types its
    // documents use, and ErrorCode is used by none (no field returns it: it documents the
    // `extensions.code` values), so client/src/lib/errors.ts takes it from here.
    'client/src/gql/enums.ts': {
      plugins: ['typescript'],
      config: { onlyEnums: true, enumsAsTypes: true },
    },
  },
};

export default config;
