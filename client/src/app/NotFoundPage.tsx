import { Link, paths } from './router.tsx';

export function NotFoundPage({ what = 'This page' }: { what?: string }) {
  return (
    <div className="page page--narrow">
      <h1>Not found</h1>
      <p>{what} does not exist, or is not yours to see.</p>
      <p>
        <Link to={paths.templates()}>Back to the templates</Link>
      </p>
    </div>
  );
}
