/* eslint-disable */
import * as types from './graphql.ts';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query AppLayoutQuery {\n    viewer {\n      id\n      ...ViewerMenu_viewer\n    }\n  }\n": typeof types.AppLayoutQueryDocument,
    "\n  fragment ExecutionRow_execution on Execution {\n    id\n    status\n    createdAt\n    inputTokens\n    outputTokens\n    amountPaid\n    errorMessage\n    # Every write of a run brings its position, so a list reading it finds it complete.\n    logPosition\n  }\n": typeof types.ExecutionRow_ExecutionFragmentDoc,
    "\n  query YourExecutionsQuery($templateId: ID!, $first: Int!) {\n    myExecutions(templateId: $templateId, first: $first) {\n      ...ExecutionList_connection @unmask\n    }\n  }\n": typeof types.YourExecutionsQueryDocument,
    "\n  subscription ExecutionLogged($templateId: ID!, $after: String) {\n    executionLogged(templateId: $templateId, after: $after) {\n      id\n      logPosition\n      createdAt\n      ...ExecutionRow_execution\n    }\n  }\n": typeof types.ExecutionLoggedDocument,
    "\n  fragment ExecutionList_connection on ExecutionConnection {\n    totalCount\n    edges {\n      cursor\n      node {\n        id\n        logPosition\n        ...ExecutionRow_execution\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n": typeof types.ExecutionList_ConnectionFragmentDoc,
    "\n  query PaymentPromptQuery($templateId: ID!) {\n    templatePaymentRequirements(templateId: $templateId) {\n      simulated\n      paymentRequired\n    }\n  }\n": typeof types.PaymentPromptQueryDocument,
    "\n  fragment PaymentReceipt_execution on Execution {\n    id\n    amountPaid\n    network\n    payerAddress\n    paymentTransaction\n  }\n": typeof types.PaymentReceipt_ExecutionFragmentDoc,
    "\n  query AnalyticsPageQuery($templateId: ID!, $range: AnalyticsRangeInput!, $timeZone: String!) {\n    template(id: $templateId) {\n      id\n      name\n    }\n    templateAnalytics(templateId: $templateId, range: $range, timeZone: $timeZone, top: 5) {\n      timeZone\n      granularity\n      totals {\n        from\n        to\n        runs\n        succeeded\n        failed\n        running\n        successRate\n        revenueUsdc\n        paidRuns\n        inputTokens\n        outputTokens\n        distinctCallers\n        anonymousPayers\n        executionTimeMs {\n          p50\n          p95\n          p99\n        }\n      }\n      previous {\n        runs\n        successRate\n        revenueUsdc\n        distinctCallers\n        anonymousPayers\n        executionTimeMs {\n          p50\n          p95\n        }\n      }\n      buckets {\n        start\n        runs\n        succeeded\n        failed\n        running\n        revenueUsdc\n        executionTimeMs {\n          p50\n          p95\n          p99\n        }\n      }\n      topCallersByRuns {\n        caller {\n          id\n          name\n        }\n        payerAddress\n        runs\n        revenueUsdc\n      }\n      topErrors {\n        message\n        runs\n      }\n    }\n  }\n": typeof types.AnalyticsPageQueryDocument,
    "\n  query ExecutionHistoryPageQuery($templateId: ID!, $first: Int!, $after: String) {\n    template(id: $templateId) {\n      id\n      name\n    }\n    myExecutions(templateId: $templateId, first: $first, after: $after) {\n      ...ExecutionList_connection @unmask\n    }\n  }\n": typeof types.ExecutionHistoryPageQueryDocument,
    "\n  query PromptTemplateDetailPageQuery($id: ID!) {\n    template(id: $id) {\n      id\n      ...TemplateSummary_template\n      ...RunTemplateForm_template\n    }\n  }\n": typeof types.PromptTemplateDetailPageQueryDocument,
    "\n  query TemplatesPageQuery($first: Int!, $after: String) {\n    templates(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          ...TemplateListItem_template\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.TemplatesPageQueryDocument,
    "\n  query RunLogQuery($templateId: ID!, $filter: ExecutionLogFilter, $after: String) {\n    template(id: $templateId) {\n      id\n      executions(first: 25, after: $after, filter: $filter) {\n        totalCount\n        edges {\n          cursor\n          node {\n            id\n            status\n            createdAt\n            caller {\n              id\n              name\n            }\n            payerAddress\n            amountPaid\n            executionTimeMs\n            errorMessage\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.RunLogQueryDocument,
    "\n  subscription RunLogLive($templateId: ID!) {\n    executionLogged(templateId: $templateId) {\n      id\n      status\n      amountPaid\n      executionTimeMs\n      errorMessage\n    }\n  }\n": typeof types.RunLogLiveDocument,
    "\n  mutation CreateExportMutation($templateId: ID!, $format: ExportFormat!, $filter: ExecutionLogFilter) {\n    createExecutionExport(templateId: $templateId, format: $format, filter: $filter) {\n      path\n    }\n  }\n": typeof types.CreateExportMutationDocument,
    "\n  fragment ViewerMenu_viewer on User {\n    id\n    name\n  }\n": typeof types.ViewerMenu_ViewerFragmentDoc,
    "\n  mutation PublishTemplate($input: CreateTemplateInput!) {\n    createTemplate(input: $input) {\n      template {\n        id\n      }\n    }\n  }\n": typeof types.PublishTemplateDocument,
    "\n  fragment RunTemplateForm_template on Template {\n    id\n    priceUsdc\n    variables {\n      name\n      description\n      required\n      default\n    }\n  }\n": typeof types.RunTemplateForm_TemplateFragmentDoc,
    "\n  fragment TemplateListItem_template on Template {\n    id\n    name\n    description\n    priceUsdc\n    owner {\n      id\n      name\n    }\n  }\n": typeof types.TemplateListItem_TemplateFragmentDoc,
    "\n  fragment TemplateSummary_template on Template {\n    id\n    name\n    description\n    priceUsdc\n    model\n    viewerIsOwner\n    owner {\n      id\n      name\n    }\n  }\n": typeof types.TemplateSummary_TemplateFragmentDoc,
    "\n  query YourTemplatesQuery {\n    ownedTemplates {\n      id\n      name\n    }\n  }\n": typeof types.YourTemplatesQueryDocument,
    "\n  query TemplateWeekQuery($templateId: ID!, $timeZone: String!) {\n    templateAnalytics(templateId: $templateId, range: { preset: LAST_7_DAYS }, timeZone: $timeZone, top: 1) {\n      totals {\n        runs\n        revenueUsdc\n      }\n      buckets {\n        start\n        runs\n      }\n    }\n  }\n": typeof types.TemplateWeekQueryDocument,
    "\n  subscription RunTemplateStream($input: ExecuteTemplateInput!) {\n    runTemplate(input: $input) {\n      __typename\n      ... on ExecutionStarted {\n        execution {\n          id\n          status\n          ...ExecutionRow_execution\n        }\n      }\n      ... on ExecutionOutputDelta {\n        text\n      }\n      ... on ExecutionFinished {\n        output\n        execution {\n          id\n          status\n          errorMessage\n          ...PaymentReceipt_execution\n          ...ExecutionRow_execution\n        }\n      }\n    }\n  }\n": typeof types.RunTemplateStreamDocument,
    "\n  mutation CancelExecution($id: ID!) {\n    cancelExecution(id: $id) {\n      id\n      status\n      errorMessage\n    }\n  }\n": typeof types.CancelExecutionDocument,
};
const documents: Documents = {
    "\n  query AppLayoutQuery {\n    viewer {\n      id\n      ...ViewerMenu_viewer\n    }\n  }\n": types.AppLayoutQueryDocument,
    "\n  fragment ExecutionRow_execution on Execution {\n    id\n    status\n    createdAt\n    inputTokens\n    outputTokens\n    amountPaid\n    errorMessage\n    # Every write of a run brings its position, so a list reading it finds it complete.\n    logPosition\n  }\n": types.ExecutionRow_ExecutionFragmentDoc,
    "\n  query YourExecutionsQuery($templateId: ID!, $first: Int!) {\n    myExecutions(templateId: $templateId, first: $first) {\n      ...ExecutionList_connection @unmask\n    }\n  }\n": types.YourExecutionsQueryDocument,
    "\n  subscription ExecutionLogged($templateId: ID!, $after: String) {\n    executionLogged(templateId: $templateId, after: $after) {\n      id\n      logPosition\n      createdAt\n      ...ExecutionRow_execution\n    }\n  }\n": types.ExecutionLoggedDocument,
    "\n  fragment ExecutionList_connection on ExecutionConnection {\n    totalCount\n    edges {\n      cursor\n      node {\n        id\n        logPosition\n        ...ExecutionRow_execution\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n": types.ExecutionList_ConnectionFragmentDoc,
    "\n  query PaymentPromptQuery($templateId: ID!) {\n    templatePaymentRequirements(templateId: $templateId) {\n      simulated\n      paymentRequired\n    }\n  }\n": types.PaymentPromptQueryDocument,
    "\n  fragment PaymentReceipt_execution on Execution {\n    id\n    amountPaid\n    network\n    payerAddress\n    paymentTransaction\n  }\n": types.PaymentReceipt_ExecutionFragmentDoc,
    "\n  query AnalyticsPageQuery($templateId: ID!, $range: AnalyticsRangeInput!, $timeZone: String!) {\n    template(id: $templateId) {\n      id\n      name\n    }\n    templateAnalytics(templateId: $templateId, range: $range, timeZone: $timeZone, top: 5) {\n      timeZone\n      granularity\n      totals {\n        from\n        to\n        runs\n        succeeded\n        failed\n        running\n        successRate\n        revenueUsdc\n        paidRuns\n        inputTokens\n        outputTokens\n        distinctCallers\n        anonymousPayers\n        executionTimeMs {\n          p50\n          p95\n          p99\n        }\n      }\n      previous {\n        runs\n        successRate\n        revenueUsdc\n        distinctCallers\n        anonymousPayers\n        executionTimeMs {\n          p50\n          p95\n        }\n      }\n      buckets {\n        start\n        runs\n        succeeded\n        failed\n        running\n        revenueUsdc\n        executionTimeMs {\n          p50\n          p95\n          p99\n        }\n      }\n      topCallersByRuns {\n        caller {\n          id\n          name\n        }\n        payerAddress\n        runs\n        revenueUsdc\n      }\n      topErrors {\n        message\n        runs\n      }\n    }\n  }\n": types.AnalyticsPageQueryDocument,
    "\n  query ExecutionHistoryPageQuery($templateId: ID!, $first: Int!, $after: String) {\n    template(id: $templateId) {\n      id\n      name\n    }\n    myExecutions(templateId: $templateId, first: $first, after: $after) {\n      ...ExecutionList_connection @unmask\n    }\n  }\n": types.ExecutionHistoryPageQueryDocument,
    "\n  query PromptTemplateDetailPageQuery($id: ID!) {\n    template(id: $id) {\n      id\n      ...TemplateSummary_template\n      ...RunTemplateForm_template\n    }\n  }\n": types.PromptTemplateDetailPageQueryDocument,
    "\n  query TemplatesPageQuery($first: Int!, $after: String) {\n    templates(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          ...TemplateListItem_template\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.TemplatesPageQueryDocument,
    "\n  query RunLogQuery($templateId: ID!, $filter: ExecutionLogFilter, $after: String) {\n    template(id: $templateId) {\n      id\n      executions(first: 25, after: $after, filter: $filter) {\n        totalCount\n        edges {\n          cursor\n          node {\n            id\n            status\n            createdAt\n            caller {\n              id\n              name\n            }\n            payerAddress\n            amountPaid\n            executionTimeMs\n            errorMessage\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.RunLogQueryDocument,
    "\n  subscription RunLogLive($templateId: ID!) {\n    executionLogged(templateId: $templateId) {\n      id\n      status\n      amountPaid\n      executionTimeMs\n      errorMessage\n    }\n  }\n": types.RunLogLiveDocument,
    "\n  mutation CreateExportMutation($templateId: ID!, $format: ExportFormat!, $filter: ExecutionLogFilter) {\n    createExecutionExport(templateId: $templateId, format: $format, filter: $filter) {\n      path\n    }\n  }\n": types.CreateExportMutationDocument,
    "\n  fragment ViewerMenu_viewer on User {\n    id\n    name\n  }\n": types.ViewerMenu_ViewerFragmentDoc,
    "\n  mutation PublishTemplate($input: CreateTemplateInput!) {\n    createTemplate(input: $input) {\n      template {\n        id\n      }\n    }\n  }\n": types.PublishTemplateDocument,
    "\n  fragment RunTemplateForm_template on Template {\n    id\n    priceUsdc\n    variables {\n      name\n      description\n      required\n      default\n    }\n  }\n": types.RunTemplateForm_TemplateFragmentDoc,
    "\n  fragment TemplateListItem_template on Template {\n    id\n    name\n    description\n    priceUsdc\n    owner {\n      id\n      name\n    }\n  }\n": types.TemplateListItem_TemplateFragmentDoc,
    "\n  fragment TemplateSummary_template on Template {\n    id\n    name\n    description\n    priceUsdc\n    model\n    viewerIsOwner\n    owner {\n      id\n      name\n    }\n  }\n": types.TemplateSummary_TemplateFragmentDoc,
    "\n  query YourTemplatesQuery {\n    ownedTemplates {\n      id\n      name\n    }\n  }\n": types.YourTemplatesQueryDocument,
    "\n  query TemplateWeekQuery($templateId: ID!, $timeZone: String!) {\n    templateAnalytics(templateId: $templateId, range: { preset: LAST_7_DAYS }, timeZone: $timeZone, top: 1) {\n      totals {\n        runs\n        revenueUsdc\n      }\n      buckets {\n        start\n        runs\n      }\n    }\n  }\n": types.TemplateWeekQueryDocument,
    "\n  subscription RunTemplateStream($input: ExecuteTemplateInput!) {\n    runTemplate(input: $input) {\n      __typename\n      ... on ExecutionStarted {\n        execution {\n          id\n          status\n          ...ExecutionRow_execution\n        }\n      }\n      ... on ExecutionOutputDelta {\n        text\n      }\n      ... on ExecutionFinished {\n        output\n        execution {\n          id\n          status\n          errorMessage\n          ...PaymentReceipt_execution\n          ...ExecutionRow_execution\n        }\n      }\n    }\n  }\n": types.RunTemplateStreamDocument,
    "\n  mutation CancelExecution($id: ID!) {\n    cancelExecution(id: $id) {\n      id\n      status\n      errorMessage\n    }\n  }\n": types.CancelExecutionDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AppLayoutQuery {\n    viewer {\n      id\n      ...ViewerMenu_viewer\n    }\n  }\n"): (typeof documents)["\n  query AppLayoutQuery {\n    viewer {\n      id\n      ...ViewerMenu_viewer\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ExecutionRow_execution on Execution {\n    id\n    status\n    createdAt\n    inputTokens\n    outputTokens\n    amountPaid\n    errorMessage\n    # Every write of a run brings its position, so a list reading it finds it complete.\n    logPosition\n  }\n"): (typeof documents)["\n  fragment ExecutionRow_execution on Execution {\n    id\n    status\n    createdAt\n    inputTokens\n    outputTokens\n    amountPaid\n    errorMessage\n    # Every write of a run brings its position, so a list reading it finds it complete.\n    logPosition\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query YourExecutionsQuery($templateId: ID!, $first: Int!) {\n    myExecutions(templateId: $templateId, first: $first) {\n      ...ExecutionList_connection @unmask\n    }\n  }\n"): (typeof documents)["\n  query YourExecutionsQuery($templateId: ID!, $first: Int!) {\n    myExecutions(templateId: $templateId, first: $first) {\n      ...ExecutionList_connection @unmask\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ExecutionLogged($templateId: ID!, $after: String) {\n    executionLogged(templateId: $templateId, after: $after) {\n      id\n      logPosition\n      createdAt\n      ...ExecutionRow_execution\n    }\n  }\n"): (typeof documents)["\n  subscription ExecutionLogged($templateId: ID!, $after: String) {\n    executionLogged(templateId: $templateId, after: $after) {\n      id\n      logPosition\n      createdAt\n      ...ExecutionRow_execution\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ExecutionList_connection on ExecutionConnection {\n    totalCount\n    edges {\n      cursor\n      node {\n        id\n        logPosition\n        ...ExecutionRow_execution\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n"): (typeof documents)["\n  fragment ExecutionList_connection on ExecutionConnection {\n    totalCount\n    edges {\n      cursor\n      node {\n        id\n        logPosition\n        ...ExecutionRow_execution\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PaymentPromptQuery($templateId: ID!) {\n    templatePaymentRequirements(templateId: $templateId) {\n      simulated\n      paymentRequired\n    }\n  }\n"): (typeof documents)["\n  query PaymentPromptQuery($templateId: ID!) {\n    templatePaymentRequirements(templateId: $templateId) {\n      simulated\n      paymentRequired\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PaymentReceipt_execution on Execution {\n    id\n    amountPaid\n    network\n    payerAddress\n    paymentTransaction\n  }\n"): (typeof documents)["\n  fragment PaymentReceipt_execution on Execution {\n    id\n    amountPaid\n    network\n    payerAddress\n    paymentTransaction\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AnalyticsPageQuery($templateId: ID!, $range: AnalyticsRangeInput!, $timeZone: String!) {\n    template(id: $templateId) {\n      id\n      name\n    }\n    templateAnalytics(templateId: $templateId, range: $range, timeZone: $timeZone, top: 5) {\n      timeZone\n      granularity\n      totals {\n        from\n        to\n        runs\n        succeeded\n        failed\n        running\n        successRate\n        revenueUsdc\n        paidRuns\n        inputTokens\n        outputTokens\n        distinctCallers\n        anonymousPayers\n        executionTimeMs {\n          p50\n          p95\n          p99\n        }\n      }\n      previous {\n        runs\n        successRate\n        revenueUsdc\n        distinctCallers\n        anonymousPayers\n        executionTimeMs {\n          p50\n          p95\n        }\n      }\n      buckets {\n        start\n        runs\n        succeeded\n        failed\n        running\n        revenueUsdc\n        executionTimeMs {\n          p50\n          p95\n          p99\n        }\n      }\n      topCallersByRuns {\n        caller {\n          id\n          name\n        }\n        payerAddress\n        runs\n        revenueUsdc\n      }\n      topErrors {\n        message\n        runs\n      }\n    }\n  }\n"): (typeof documents)["\n  query AnalyticsPageQuery($templateId: ID!, $range: AnalyticsRangeInput!, $timeZone: String!) {\n    template(id: $templateId) {\n      id\n      name\n    }\n    templateAnalytics(templateId: $templateId, range: $range, timeZone: $timeZone, top: 5) {\n      timeZone\n      granularity\n      totals {\n        from\n        to\n        runs\n        succeeded\n        failed\n        running\n        successRate\n        revenueUsdc\n        paidRuns\n        inputTokens\n        outputTokens\n        distinctCallers\n        anonymousPayers\n        executionTimeMs {\n          p50\n          p95\n          p99\n        }\n      }\n      previous {\n        runs\n        successRate\n        revenueUsdc\n        distinctCallers\n        anonymousPayers\n        executionTimeMs {\n          p50\n          p95\n        }\n      }\n      buckets {\n        start\n        runs\n        succeeded\n        failed\n        running\n        revenueUsdc\n        executionTimeMs {\n          p50\n          p95\n          p99\n        }\n      }\n      topCallersByRuns {\n        caller {\n          id\n          name\n        }\n        payerAddress\n        runs\n        revenueUsdc\n      }\n      topErrors {\n        message\n        runs\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ExecutionHistoryPageQuery($templateId: ID!, $first: Int!, $after: String) {\n    template(id: $templateId) {\n      id\n      name\n    }\n    myExecutions(templateId: $templateId, first: $first, after: $after) {\n      ...ExecutionList_connection @unmask\n    }\n  }\n"): (typeof documents)["\n  query ExecutionHistoryPageQuery($templateId: ID!, $first: Int!, $after: String) {\n    template(id: $templateId) {\n      id\n      name\n    }\n    myExecutions(templateId: $templateId, first: $first, after: $after) {\n      ...ExecutionList_connection @unmask\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PromptTemplateDetailPageQuery($id: ID!) {\n    template(id: $id) {\n      id\n      ...TemplateSummary_template\n      ...RunTemplateForm_template\n    }\n  }\n"): (typeof documents)["\n  query PromptTemplateDetailPageQuery($id: ID!) {\n    template(id: $id) {\n      id\n      ...TemplateSummary_template\n      ...RunTemplateForm_template\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TemplatesPageQuery($first: Int!, $after: String) {\n    templates(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          ...TemplateListItem_template\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query TemplatesPageQuery($first: Int!, $after: String) {\n    templates(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          ...TemplateListItem_template\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RunLogQuery($templateId: ID!, $filter: ExecutionLogFilter, $after: String) {\n    template(id: $templateId) {\n      id\n      executions(first: 25, after: $after, filter: $filter) {\n        totalCount\n        edges {\n          cursor\n          node {\n            id\n            status\n            createdAt\n            caller {\n              id\n              name\n            }\n            payerAddress\n            amountPaid\n            executionTimeMs\n            errorMessage\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query RunLogQuery($templateId: ID!, $filter: ExecutionLogFilter, $after: String) {\n    template(id: $templateId) {\n      id\n      executions(first: 25, after: $after, filter: $filter) {\n        totalCount\n        edges {\n          cursor\n          node {\n            id\n            status\n            createdAt\n            caller {\n              id\n              name\n            }\n            payerAddress\n            amountPaid\n            executionTimeMs\n            errorMessage\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription RunLogLive($templateId: ID!) {\n    executionLogged(templateId: $templateId) {\n      id\n      status\n      amountPaid\n      executionTimeMs\n      errorMessage\n    }\n  }\n"): (typeof documents)["\n  subscription RunLogLive($templateId: ID!) {\n    executionLogged(templateId: $templateId) {\n      id\n      status\n      amountPaid\n      executionTimeMs\n      errorMessage\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateExportMutation($templateId: ID!, $format: ExportFormat!, $filter: ExecutionLogFilter) {\n    createExecutionExport(templateId: $templateId, format: $format, filter: $filter) {\n      path\n    }\n  }\n"): (typeof documents)["\n  mutation CreateExportMutation($templateId: ID!, $format: ExportFormat!, $filter: ExecutionLogFilter) {\n    createExecutionExport(templateId: $templateId, format: $format, filter: $filter) {\n      path\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ViewerMenu_viewer on User {\n    id\n    name\n  }\n"): (typeof documents)["\n  fragment ViewerMenu_viewer on User {\n    id\n    name\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PublishTemplate($input: CreateTemplateInput!) {\n    createTemplate(input: $input) {\n      template {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation PublishTemplate($input: CreateTemplateInput!) {\n    createTemplate(input: $input) {\n      template {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RunTemplateForm_template on Template {\n    id\n    priceUsdc\n    variables {\n      name\n      description\n      required\n      default\n    }\n  }\n"): (typeof documents)["\n  fragment RunTemplateForm_template on Template {\n    id\n    priceUsdc\n    variables {\n      name\n      description\n      required\n      default\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TemplateListItem_template on Template {\n    id\n    name\n    description\n    priceUsdc\n    owner {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment TemplateListItem_template on Template {\n    id\n    name\n    description\n    priceUsdc\n    owner {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TemplateSummary_template on Template {\n    id\n    name\n    description\n    priceUsdc\n    model\n    viewerIsOwner\n    owner {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment TemplateSummary_template on Template {\n    id\n    name\n    description\n    priceUsdc\n    model\n    viewerIsOwner\n    owner {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query YourTemplatesQuery {\n    ownedTemplates {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  query YourTemplatesQuery {\n    ownedTemplates {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TemplateWeekQuery($templateId: ID!, $timeZone: String!) {\n    templateAnalytics(templateId: $templateId, range: { preset: LAST_7_DAYS }, timeZone: $timeZone, top: 1) {\n      totals {\n        runs\n        revenueUsdc\n      }\n      buckets {\n        start\n        runs\n      }\n    }\n  }\n"): (typeof documents)["\n  query TemplateWeekQuery($templateId: ID!, $timeZone: String!) {\n    templateAnalytics(templateId: $templateId, range: { preset: LAST_7_DAYS }, timeZone: $timeZone, top: 1) {\n      totals {\n        runs\n        revenueUsdc\n      }\n      buckets {\n        start\n        runs\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription RunTemplateStream($input: ExecuteTemplateInput!) {\n    runTemplate(input: $input) {\n      __typename\n      ... on ExecutionStarted {\n        execution {\n          id\n          status\n          ...ExecutionRow_execution\n        }\n      }\n      ... on ExecutionOutputDelta {\n        text\n      }\n      ... on ExecutionFinished {\n        output\n        execution {\n          id\n          status\n          errorMessage\n          ...PaymentReceipt_execution\n          ...ExecutionRow_execution\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription RunTemplateStream($input: ExecuteTemplateInput!) {\n    runTemplate(input: $input) {\n      __typename\n      ... on ExecutionStarted {\n        execution {\n          id\n          status\n          ...ExecutionRow_execution\n        }\n      }\n      ... on ExecutionOutputDelta {\n        text\n      }\n      ... on ExecutionFinished {\n        output\n        execution {\n          id\n          status\n          errorMessage\n          ...PaymentReceipt_execution\n          ...ExecutionRow_execution\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelExecution($id: ID!) {\n    cancelExecution(id: $id) {\n      id\n      status\n      errorMessage\n    }\n  }\n"): (typeof documents)["\n  mutation CancelExecution($id: ID!) {\n    cancelExecution(id: $id) {\n      id\n      status\n      errorMessage\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;