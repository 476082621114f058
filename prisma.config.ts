import { defineConfig } from 'prisma/config';

// Prisma's CLI downloads a schema-engine binary before every command, which fails offline.
// `generate` never uses it, so point the check at a no-op binary (migrations are our own SQL).
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= '/bin/false';

export default defineConfig({
  schema: 'prisma/schema.prisma',
});
