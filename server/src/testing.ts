/**
 * The one seam through which code outside the server (the bench, and tests as they move to it)
 * reaches the server's internals: what is exported here is what they may rely on; everything
 * else may move without breaking them.
 */
export { createAuthenticator, demoUserId } from './auth/authenticator.ts';
export { openDatabase } from './db/database.ts';
export { migrate, readMigrations } from './db/migrate.ts';
export { runPipelined } from './db/pg-pipeline.ts';
export { REQUEST_ROLE, runAsStatements } from './db/roles.ts';
export { readEnv } from './env.ts';
export { executionCountSql, executionPageSql } from './executions/execution-sql.ts';
export { createAnthropicModel } from './llm/anthropic.ts';
export { type MessagesApiServer, startMessagesApiServer } from './llm/offline-messages-api.ts';

/**
 * Loaded on first call: the bench's floor server imports this file for its SQL and must not pay
 * for the whole app (schema, Yoga, the SDK) that startServer brings in.
 */
export const startServer: typeof import('./server.ts').startServer = async (...args) =>
  (await import('./server.ts')).startServer(...args);
