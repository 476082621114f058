import { createRequire } from 'node:module';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Node (and so graphql-yoga) loads graphql's CommonJS build; Vite would pick its ESM build for
// our files. Two copies break `instanceof GraphQLError`, so tests resolve it as Node does.
const graphqlAsNodeLoadsIt = createRequire(import.meta.url).resolve('graphql');

// `npm test` runs both projects. The server suite uses PGlite unless TEST_DATABASE_URL (and
// TEST_REDIS_URL) point it at a real PostgreSQL (and Redis): see README "Tests".
export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias: [{ find: /^graphql$/, replacement: graphqlAsNodeLoadsIt }] },
        test: {
          name: 'server',
          include: ['server/test/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['server/test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 90_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'client',
          include: ['client/src/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['client/src/test/setup.ts'],
        },
      },
    ],
  },
});
