import type { PrismaClient } from '../generated/prisma/client.ts';
import { badInput } from '../lib/api-errors.ts';
import { badText, isCleanText } from '../lib/text.ts';
import { DEFAULT_MODEL, DEFAULT_TEMPLATE_POLICY, type TemplatePolicy } from '../quotas/limits.ts';

export { DEFAULT_MODEL };

import { checkDeclaredVariables, type TemplateVariable } from './variables.ts';

export const DEFAULT_NETWORK = 'eip155:84532';
export const DEFAULT_MAX_TOKENS = 1024;
/** A listing returns up to 100 descriptions: kept short, the prompt holds the long text. */
export const MAX_DESCRIPTION_LENGTH = 2_000;
const ZERO_ADDRESS = `0x${'0'.repeat(40)}`;

/** createTemplate's input as GraphQL hands it over (defaults applied, nulls possible). */
export interface TemplateInput {
  name: string;
  description?: string | null;
  prompt: string;
  variables?: Array<{
    name: string;
    description?: string | null;
    required?: boolean | null;
    default?: string | null;
  }> | null;
  model?: string | null;
  maxTokens?: number | null;
  priceUsdc?: string | null;
  payTo?: string | null;
  network?: string | null;
}

/**
 * Validates a template before anything is written; each refusal names its field. A priced
 * template must be on a network this server takes payments on, or nobody could ever run it.
 */
export function parseTemplateInput(
  input: TemplateInput,
  takesPaymentsOn: (network: string) => boolean,
  policy: TemplatePolicy = DEFAULT_TEMPLATE_POLICY,
) {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 200) throw badInput('name must be 1-200 characters', 'name');
  const description = input.description ?? '';
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw badInput(
      `description must be at most ${MAX_DESCRIPTION_LENGTH} characters`,
      'description',
    );
  }
  if (input.prompt.trim().length < 1 || input.prompt.length > 100_000) {
    throw badInput('prompt must be 1-100000 characters', 'prompt');
  }
  const maxTokens = input.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > policy.maxTokens) {
    throw badInput(`maxTokens must be between 1 and ${policy.maxTokens}`, 'maxTokens');
  }
  const model = input.model ?? DEFAULT_MODEL;
  if (!policy.models.includes(model)) {
    throw badInput(
      `model must be one of this server's models: ${policy.models.join(', ')}`,
      'model',
    );
  }
  const priceUsdc = input.priceUsdc ?? '0';
  if (!/^\d{1,4}(\.\d{1,6})?$/.test(priceUsdc)) {
    throw badInput(
      'priceUsdc must be between 0 and 9999.999999 with at most 6 decimals',
      'priceUsdc',
    );
  }
  const priced = !/^0+(\.0+)?$/.test(priceUsdc);
  const payTo = input.payTo ?? (priced ? null : ZERO_ADDRESS);
  if (!payTo || !/^0x[0-9a-fA-F]{40}$/.test(payTo)) {
    throw badInput(
      'payTo must be an EVM address (0x + 40 hex digits) for a priced template',
      'payTo',
    );
  }
  const network = input.network ?? DEFAULT_NETWORK;
  if (!/^eip155:\d{1,20}$/.test(network)) {
    throw badInput('network must be CAIP-2 like eip155:8453', 'network');
  }
  if (priced && !takesPaymentsOn(network)) {
    throw badInput(`This server takes no payments on ${network}`, 'network');
  }
  for (const [field, value] of Object.entries(input)) {
    if (typeof value === 'string' && !isCleanText(value)) throw badText(field);
  }
  for (const variable of input.variables ?? []) {
    for (const value of [variable.name, variable.description, variable.default]) {
      if (typeof value === 'string' && !isCleanText(value)) throw badText('variables');
    }
  }
  const variables: TemplateVariable[] = (input.variables ?? []).map((variable) => ({
    name: variable.name,
    description: variable.description ?? '',
    required: variable.required ?? true,
    default: variable.default ?? null,
  }));
  checkDeclaredVariables(input.prompt, variables);
  return {
    name,
    description,
    prompt: input.prompt,
    variables,
    model,
    maxTokens,
    priceUsdc,
    payTo,
    network,
  };
}

/**
 * Publishes on the viewer's first server (creating it on their first template). `db` is the
 * viewer's client: RLS only lets anyone publish on servers they own.
 */
export async function publishTemplate(
  db: PrismaClient,
  viewer: { id: string; name: string | null },
  template: ReturnType<typeof parseTemplateInput>,
): Promise<string> {
  const server = await db.server.findFirst({
    where: { registeredById: viewer.id },
    orderBy: { createdAt: 'asc' },
    select: { id: true },
  });
  // One statement, hence one transaction: a refused first template leaves no server behind.
  const created = await db.template.create({
    data: server
      ? { serverId: server.id, ...template }
      : {
          ...template,
          server: {
            create: { name: `${viewer.name ?? 'My'} templates`, registeredById: viewer.id },
          },
        },
    select: { id: true },
  });
  return created.id;
}
