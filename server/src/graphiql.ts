/** What a newcomer sees in GraphiQL at /graphql: the operations to try, in order. */
export const GRAPHIQL_DEFAULT_QUERY = `# Welcome to promptmeter.
# 1. In a terminal: npm run token -- alice   → put the token in the Headers tab:
#    { "Authorization": "Bearer <token>" }
# 2. Run "Templates", copy a template id, and paste it into the variables below.
# 3. Open a second GraphiQL tab with "Live" running, then run "Run" here: the run appears there.

query Templates {
  templates(first: 10) {
    edges { node { id name description priceUsdc owner { name } variables { name required } } }
  }
}

mutation Run($templateId: ID!) {
  executeTemplate(input: { templateId: $templateId, variables: { topic: "GraphQL subscriptions" } }) {
    output
    execution { id status inputTokens outputTokens amountPaid executionTimeMs createdAt }
  }
}

query History($templateId: ID!) {
  myExecutions(templateId: $templateId, first: 5) {
    totalCount
    edges { cursor node { id status errorMessage inputTokens outputTokens createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}

subscription Live($templateId: ID!) {
  executionLogged(templateId: $templateId) { id status inputTokens outputTokens createdAt }
}
`;
