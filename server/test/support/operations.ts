import type { TestApp } from './test-app.ts';

/** The operations the tests share, written as a client would send them. */
export const CREATE_TEMPLATE = /* GraphQL */ `
  mutation CreateTemplate($input: CreateTemplateInput!) {
    createTemplate(input: $input) { template { id name priceUsdc viewerIsOwner owner { id name } } }
  }
`;

export const EXECUTE = /* GraphQL */ `
  mutation Execute($input: ExecuteTemplateInput!) {
    executeTemplate(input: $input) {
      output
      execution {
        id status errorMessage inputTokens outputTokens amountPaid network paymentSignature
        executionTimeMs createdAt completedAt template { id } caller { name }
      }
    }
  }
`;

export const MY_EXECUTIONS = /* GraphQL */ `
  query MyExecutions($templateId: ID!, $first: Int, $after: String) {
    myExecutions(templateId: $templateId, first: $first, after: $after) {
      totalCount
      edges { cursor node { id status createdAt } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

export const EXECUTION_LOGGED = /* GraphQL */ `
  subscription ExecutionLogged($templateId: ID!) {
    executionLogged(templateId: $templateId) {
      id status errorMessage inputTokens outputTokens amountPaid template { id name } caller { name }
    }
  }
`;

/** Publishes a template as `token`'s user and returns its global id. */
export async function createTemplate(
  app: TestApp,
  token: string,
  input: Record<string, unknown> = {},
): Promise<string> {
  const result = await app.gql(
    CREATE_TEMPLATE,
    {
      input: {
        name: 'Haiku',
        description: 'A haiku about a topic',
        prompt: 'Write a haiku about {{topic}}.',
        variables: [{ name: 'topic', description: 'The subject' }],
        ...input,
      },
    },
    { token },
  );
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data?.createTemplate.template.id;
}

export async function execute(
  app: TestApp,
  token: string | undefined,
  templateId: string,
  variables: Record<string, unknown> = { topic: 'autumn' },
) {
  return app.gql(EXECUTE, { input: { templateId, variables } }, { token });
}
