// A normal session never comes near the operation limits: every operation of the bundled UI
// (client/src, as Apollo sends it), of GraphiQL's opening page and of the README's examples runs
// through the real limits with realistic variables, and costs at most half of each limit.
import { readFile } from 'node:fs/promises';
import { addTypenameToDocument } from '@apollo/client/utilities';
import {
  type ASTNode,
  type DocumentNode,
  getIntrospectionQuery,
  getOperationAST,
  Kind,
  Lexer,
  parse,
  print,
  Source,
  TokenKind,
  visit,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as clientDocuments from '../../../client/src/gql/graphql.ts';
import { GRAPHIQL_DEFAULT_QUERY } from '../../src/http/graphiql.ts';
import { operationCost } from '../../src/http/plugins/operation-cost.ts';
import { documentNesting, MAX_NESTING } from '../../src/http/plugins/operation-limits.ts';
import { DEFAULT_OPERATION_LIMITS as LIMITS } from '../../src/lib/limits.ts';
import { schema } from '../../src/schema/index.ts';
import { createTemplate, execute } from '../support/operations.ts';
import { collect, type GraphQLResponse } from '../support/subscription-results.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** Directives Apollo Client keeps to itself (it strips them before sending). */
const CLIENT_ONLY_DIRECTIVES = new Set(['client', 'connection', 'nonreactive', 'unmask']);

/** A document as Apollo Client sends it: __typename added, client-only directives removed. */
const withoutClientDirectives = {
  enter: (node: ASTNode) =>
    node.kind === Kind.DIRECTIVE && CLIENT_ONLY_DIRECTIVES.has(node.name.value) ? null : undefined,
};
const asApolloSends = (document: DocumentNode) =>
  visit(addTypenameToDocument(document), withoutClientDirectives);

function tokenCount(text: string) {
  const lexer = new Lexer(new Source(text));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}

interface Operation {
  origin: string;
  name: string;
  text: string;
  kind: 'query' | 'mutation' | 'subscription';
}

/** Each operation of a document that may hold several (GraphiQL's page, a README block). */
function operationsOf(origin: string, text: string): Operation[] {
  const { definitions } = parse(text);
  const fragments = definitions.filter(
    (definition) => definition.kind !== Kind.OPERATION_DEFINITION,
  );
  return definitions.flatMap((definition) =>
    definition.kind === Kind.OPERATION_DEFINITION && definition.name
      ? [
          {
            origin,
            name: definition.name.value,
            text: print({ kind: Kind.DOCUMENT, definitions: [definition, ...fragments] }),
            kind: definition.operation,
          },
        ]
      : [],
  );
}

const uiOperations: Operation[] = Object.entries(clientDocuments)
  .filter(([name, value]) => name.endsWith('Document') && (value as DocumentNode)?.kind)
  .flatMap(([, value]) => {
    const document = value as DocumentNode;
    const operation = getOperationAST(document);
    if (!operation?.name) return [];
    return [
      {
        origin: 'client/src',
        name: operation.name.value,
        text: print(asApolloSends(document)),
        kind: operation.operation,
      },
    ];
  });

describe('a normal session never comes near the limits', () => {
  let app: TestApp;
  let token: string;
  let templateId: string;
  let executionId: string;
  let operations: Operation[];
  beforeAll(async () => {
    app = await startTestApp();
    token = await app.token('limits-ui-user');
    templateId = await createTemplate(app, token);
    // A run of the viewer's, for the UI's Stop (cancelExecution of a run that already ended).
    const run = await execute(app, token, templateId);
    executionId = run.data?.executeTemplate.execution.id;
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const readmeBlocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map(
      (match) => match[1] as string,
    );
    operations = [
      ...uiOperations,
      ...operationsOf('GraphiQL', GRAPHIQL_DEFAULT_QUERY),
      ...readmeBlocks.flatMap((block) => operationsOf('README', block)),
    ];
  });
  afterAll(() => app?.close());

  /** What the UI (and the examples) pass: its own page sizes, a real template. */
  function variablesFor(name: string): Record<string, unknown> {
    const input = {
      PublishTemplate: {
        input: {
          name: 'A realistic template',
          description: 'What the publish form sends',
          prompt: 'Write about {{topic}} in the style of {{style}}.',
          variables: [
            { name: 'topic', description: 'The subject', required: true },
            { name: 'style', description: 'Whose style', required: false, default: 'a poet' },
          ],
          priceUsdc: '0',
        },
      },
      RunTemplateStream: { input: { templateId, variables: { topic: 'tides' } } },
      CancelExecution: { id: executionId },
    } as Record<string, Record<string, unknown>>;
    const pages: Record<string, number> = {
      YourExecutionsQuery: 5,
      ExecutionHistoryPageQuery: 20,
      TemplatesPageQuery: 20,
    };
    // Otherwise what the operation declares of these (README examples run templates too).
    return (
      input[name] ?? {
        templateId,
        id: templateId,
        first: pages[name] ?? 20,
        after: null,
        input: { templateId, variables: { topic: 'tides' } },
        // The analytics page: a week in the viewer's zone; its Export button.
        range: { preset: 'LAST_7_DAYS' },
        timeZone: 'America/New_York',
        format: 'CSV',
      }
    );
  }

  it("answers GraphiQL's introspection query (its nesting of ofType is not counted as depth)", async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    expect(tokenCount(query)).toBeLessThanOrEqual(LIMITS.maxTokens / 2);
    const result = await app.gql(query);
    expect(result.errors).toBeUndefined();
    expect(result.data?.__schema.queryType.name).toBe('Query');
  });

  it('covers every operation of the UI', () => {
    expect(uiOperations.map((operation) => operation.name).sort()).toEqual(
      expect.arrayContaining([
        'AppLayoutQuery',
        'CancelExecution',
        'ExecutionHistoryPageQuery',
        'ExecutionLogged',
        'PromptTemplateDetailPageQuery',
        'PublishTemplate',
        'RunTemplateStream',
        'TemplatesPageQuery',
        'YourExecutionsQuery',
      ]),
    );
  });

  it('runs each operation through the limits with realistic variables, at most half of each', async () => {
    const figures: string[] = [];
    for (const operation of operations) {
      const variables = variablesFor(operation.name);
      const document = parse(operation.text);
      const declared = new Set(
        getOperationAST(document, operation.name)?.variableDefinitions?.map(
          (definition) => definition.variable.name.value,
        ),
      );
      const own = Object.fromEntries(
        Object.entries(variables).filter(([key]) => declared.has(key)),
      );
      const { cost } = operationCost(schema, document, operation.name, own);
      const tokens = tokenCount(operation.text);
      figures.push(`${operation.origin} ${operation.name}: cost ${cost}, tokens ${tokens}`);
      expect(cost, operation.name).toBeLessThanOrEqual(LIMITS.maxCost / 2);
      expect(tokens, operation.name).toBeLessThanOrEqual(LIMITS.maxTokens / 2);
      expect(documentNesting(operation.text), operation.name).toBeLessThanOrEqual(MAX_NESTING / 2);

      let result: GraphQLResponse | undefined;
      if (operation.kind === 'subscription') {
        const since = app.subscriptionsStarted();
        const live = collect(app.ws(token), operation.text, own);
        // Past the limits, it is listening (executionLogged has no event until a run), or it
        // answers at once (runTemplate starts with the RUNNING row), or it was refused.
        await Promise.race([app.waitForSubscribers(1, since).catch(() => {}), live.waitFor(1)]);
        await live.waitFor(1, 200);
        result = live.results[0] ?? { errors: (live.error as GraphQLResponse['errors']) ?? [] };
        live.unsubscribe();
      } else {
        const response = await app.app.yoga.fetch('http://localhost/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            query: operation.text,
            variables: own,
            operationName: operation.name,
          }),
        });
        result = (await response.json()) as GraphQLResponse;
      }
      expect(result?.errors ?? [], `${operation.origin} ${operation.name}`).toEqual([]);
    }
    console.log(`[limits] ${figures.join('; ')}`);
  });
});
