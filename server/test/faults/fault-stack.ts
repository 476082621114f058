import pg from 'pg';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  type MessagesApiServer,
  startMessagesApiServer,
} from '../../src/llm/offline-messages-api.ts';
import { createStockClient, signPayment } from '../support/evm/stock-client.ts';
import { CREATE_TEMPLATE } from '../support/operations.ts';
import {
  type PrivatePostgres,
  type PrivateRedis,
  startPrivatePostgres,
  startPrivateRedis,
} from '../support/private-servers.ts';
import {
  mintToken,
  type ServerProcessOptions,
  startServerProcess,
} from '../support/server-process.ts';
import { type FacilitatorStub, startFacilitatorStub } from './facilitator-stub.ts';
import { dbId, gql } from './graphql-client.ts';

/**
 * Everything a fault scenario runs against, all its own: a private PostgreSQL cluster (and
 * Redis), a slow loopback model, a loopback facilitator, and server processes over them.
 * The suite never touches the machine's PostgreSQL or Redis, so it runs in one mode only.
 */

export const skipFaultSuite = Boolean(process.env.TEST_DATABASE_URL);

export interface FaultStackOptions {
  redis?: boolean;
  /** How long the model takes to answer each run: keeps runs in flight. */
  modelDelayMs: number;
  settleDelayMs?: number;
}

export async function startFaultStack(options: FaultStackOptions) {
  const [postgres, redis, model, facilitator] = await Promise.all([
    startPrivatePostgres(),
    options.redis ? startPrivateRedis() : undefined,
    startMessagesApiServer({
      defaultBehaviour: {
        kind: 'delay',
        ms: options.modelDelayMs,
        after: { kind: 'text', text: 'A haiku.' },
      },
    }),
    startFacilitatorStub(options.settleDelayMs),
  ]);
  const admin = new pg.Client({ connectionString: postgres.url() });
  await admin.connect();
  await admin.query('CREATE DATABASE promptmeter');
  await admin.end();
  const databaseUrl = postgres.url('promptmeter');
  // The test's own reads; a pool reconnects by itself after the cluster comes back.
  const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  db.on('error', () => {});
  return {
    postgres: postgres as PrivatePostgres,
    redis: redis as PrivateRedis | undefined,
    model: model as MessagesApiServer,
    facilitator: facilitator as FacilitatorStub,
    db,
    databaseUrl,
    server: (name: string, extra: Partial<ServerProcessOptions> = {}) =>
      startServerProcess({
        name,
        databaseUrl,
        redisUrl: redis?.url,
        modelUrl: model.url,
        facilitatorUrl: facilitator.url,
        ...extra,
      }),
    async close() {
      await db.end().catch(() => {});
      await Promise.allSettled([model.close(), facilitator.stop(), redis?.remove()]);
      await postgres.remove();
    },
  };
}

export type FaultStack = Awaited<ReturnType<typeof startFaultStack>>;

/** A priced template (0.01 USDC): its owner runs it free, anyone else pays. */
export async function createPricedTemplate(url: string, label: string) {
  const ownerToken = await mintToken(`owner-${label}`);
  const callerToken = await mintToken(`caller-${label}`);
  const payTo = privateKeyToAccount(generatePrivateKey()).address;
  const created = await gql(
    url,
    CREATE_TEMPLATE,
    {
      input: {
        name: `Haiku ${label}`,
        description: 'A haiku about a topic',
        prompt: 'Write a haiku about {{topic}}.',
        variables: [{ name: 'topic', description: 'The subject' }],
        priceUsdc: '0.01',
        payTo,
      },
    },
    { token: ownerToken },
  );
  const id = created.data?.createTemplate?.template?.id;
  if (!id) throw new Error(`createTemplate failed: ${JSON.stringify(created)}`);
  return { id: id as string, dbId: dbId(id), ownerToken, callerToken, payTo };
}

export type Template = Awaited<ReturnType<typeof createPricedTemplate>>;

export interface SignedPayment {
  header: string;
  signature: string;
}

/** `count` payments for one run each, signed ahead (quoting needs the database up). */
export async function signPayments(url: string, template: Template, count: number) {
  const quoted = await gql(
    url,
    `query($id: ID!) { templatePaymentRequirements(templateId: $id) { paymentRequired } }`,
    { id: template.id },
  );
  const paymentRequired = quoted.data?.templatePaymentRequirements?.paymentRequired;
  if (!paymentRequired) throw new Error(`no quote: ${JSON.stringify(quoted)}`);
  const payer = privateKeyToAccount(generatePrivateKey());
  const client = createStockClient(payer);
  const payments: SignedPayment[] = [];
  for (let i = 0; i < count; i++) {
    const { payload, header } = await signPayment(client, paymentRequired);
    payments.push({ header, signature: String(payload.payload.signature) });
  }
  return { payer: payer.address.toLowerCase(), payments };
}
