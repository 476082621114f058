import { lazy, Suspense, useEffect } from 'react';
import { AppLayout } from './app/AppLayout.tsx';
import { NotFoundPage } from './app/NotFoundPage.tsx';
import { matchRoute, type Route, useLocation } from './app/router.tsx';
import { ExecutionHistoryPage } from './routes/ExecutionHistoryPage.tsx';
import { SignInPage } from './routes/SignInPage.tsx';
import { PromptTemplateDetailPage } from './routes/TemplatePage.tsx';
import { TemplatesPage } from './routes/TemplatesPage.tsx';
import { Loading } from './ui/Feedback.tsx';

// Its own chunk, with the charting library: no other page loads it.
const AnalyticsPage = lazy(() => import('./routes/AnalyticsPage.tsx'));

const TITLES: Record<Route['name'], string> = {
  templates: 'Templates',
  signIn: 'Sign in',
  template: 'Template',
  executions: 'Your executions',
  analytics: 'Analytics',
  notFound: 'Not found',
};

function Page({ route }: { route: Route }) {
  switch (route.name) {
    case 'templates':
      return <TemplatesPage />;
    case 'signIn':
      return <SignInPage next={route.next} />;
    case 'template':
      return <PromptTemplateDetailPage key={route.templateId} templateId={route.templateId} />;
    case 'executions':
      return <ExecutionHistoryPage key={route.templateId} templateId={route.templateId} />;
    case 'analytics':
      return (
        <Suspense fallback={<Loading>Loading analytics…</Loading>}>
          <AnalyticsPage key={route.templateId} templateId={route.templateId} />
        </Suspense>
      );
    case 'notFound':
      return <NotFoundPage />;
  }
}

export function App() {
  const route = matchRoute(useLocation());
  useEffect(() => {
    document.title = `${TITLES[route.name]} · promptmeter`;
  }, [route.name]);
  return (
    <AppLayout>
      <Page route={route} />
    </AppLayout>
  );
}
