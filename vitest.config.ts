import { createRequire } from 'node:module';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Node (and so graphql-yoga) loads graphql's CommonJS build; Vite would pick its ESM build for
// our files. Two copies break `instanceof GraphQLError`, so tests resolve it as Node does.
const graphqlAsNodeLoadsIt = createRequire(import.meta.url).resolve('graphql');

const resolve = { alias: [{ find: /^graphql$/, replacement: graphqlAsNodeLoadsIt }] };

// `npm test` runs the three projects. The server suite uses PGlite unless TEST_DATABASE_URL (and
// TEST_REDIS_URL) point it at a real PostgreSQL (and Redis): see README "Tests". The fault suite
// brings its own PostgreSQL cluster and Redis and real server processes (about 4 minutes, mostly
// waiting through outages); `--project server --project client` leaves it out.
export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'server',
          include: ['server/test/**/*.test.ts'],
          exclude: ['server/test/faults/**'],
          environment: 'node',
          globalSetup: ['server/test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 90_000,
        },
      },
      {
        resolve,
        test: {
          name: 'faults',
          include: ['server/test/faults/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 120_000,
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
