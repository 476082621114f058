import { useQuery } from '@apollo/client/react';
import { NotFoundPage } from '../app/NotFoundPage.tsx';
import { Link, paths } from '../app/router.tsx';
import { YourExecutions } from '../executions/YourExecutions.tsx';
import { graphql } from '../gql/index.ts';
import { errorCode } from '../lib/errors.ts';
import { RunTemplateForm } from '../templates/RunTemplateForm.tsx';
import { TemplateSummary } from '../templates/TemplateSummary.tsx';
import { ErrorNotice, Loading } from '../ui/Feedback.tsx';

export const PromptTemplateDetailPageQuery = graphql(`
  query PromptTemplateDetailPageQuery($id: ID!) {
    template(id: $id) {
      id
      ...TemplateSummary_template
      ...RunTemplateForm_template
    }
  }
`);

/** A template: what it is, the form to run it, and the viewer's live history of runs. */
export function PromptTemplateDetailPage({ templateId }: { templateId: string }) {
  const { data, error, refetch } = useQuery(PromptTemplateDetailPageQuery, {
    variables: { id: templateId },
  });

  if (error && errorCode(error) === 'BAD_USER_INPUT') return <NotFoundPage what="This template" />;
  if (error) {
    return (
      <div className="page">
        <ErrorNotice
          error={error}
          title="Could not load the template."
          onRetry={() => void refetch()}
        />
      </div>
    );
  }
  if (!data) {
    return (
      <div className="page">
        <Loading>Loading the template…</Loading>
      </div>
    );
  }
  if (!data.template) return <NotFoundPage what="This template" />;

  return (
    <div className="page template-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to={paths.templates()}>Templates</Link>
      </nav>
      <TemplateSummary template={data.template} />
      <div className="template-page__grid">
        <RunTemplateForm template={data.template} />
        <YourExecutions templateId={data.template.id} />
      </div>
    </div>
  );
}
