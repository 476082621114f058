/** Talks to the API directly, for arranging data a test does not drive through the UI. */
export async function devToken(baseURL: string, name: string): Promise<string> {
  const response = await fetch(`${baseURL}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!response.ok) throw new Error(`POST /dev/token: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

export async function graphql<T>(
  baseURL: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await fetch(`${baseURL}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: Array<{ message: string }> };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data as T;
}

export async function templateIdByName(baseURL: string, token: string, name: string) {
  const data = await graphql<{
    templates: { edges: Array<{ node: { id: string; name: string } }> };
  }>(baseURL, token, 'query { templates(first: 100) { edges { node { id name } } } }');
  const found = data.templates.edges.find((edge) => edge.node.name === name);
  if (!found) throw new Error(`no template named "${name}"`);
  return found.node.id;
}

export function runTemplate(baseURL: string, token: string, templateId: string, topic: string) {
  return graphql<{ executeTemplate: { execution: { id: string; status: string } } }>(
    baseURL,
    token,
    `mutation Run($input: ExecuteTemplateInput!) {
      executeTemplate(input: $input) { execution { id status } }
    }`,
    { input: { templateId, variables: { topic } } },
  );
}
