import { useQuery } from '@apollo/client/react';
import type { ReactNode } from 'react';
import { graphql } from '../gql/index.ts';
import { useSession } from '../session/SessionProvider.tsx';
import { ViewerMenu } from '../session/ViewerMenu.tsx';
import { Link, paths, useLocation } from './router.tsx';

export const AppLayoutQuery = graphql(`
  query AppLayoutQuery {
    viewer {
      id
      ...ViewerMenu_viewer
    }
  }
`);

/** The frame of every page: the header with the viewer, and the page itself. */
export function AppLayout({ children }: { children: ReactNode }) {
  const { signedIn } = useSession();
  const location = useLocation();
  const { data } = useQuery(AppLayoutQuery, { skip: !signedIn });
  const onSignIn = location.pathname === '/sign-in';

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <div className="app-header__inner">
          <Link className="brand" to={paths.templates()}>
            <span className="brand__mark" aria-hidden="true" />
            promptmeter
          </Link>
          <nav aria-label="Main">
            <Link to={paths.templates()}>Templates</Link>
          </nav>
          <div className="app-header__viewer">
            {data?.viewer ? (
              <ViewerMenu viewer={data.viewer} />
            ) : signedIn ? null : onSignIn ? null : (
              <Link
                className="button button--ghost"
                to={paths.signIn(location.pathname + location.search)}
              >
                Sign in
              </Link>
            )}
          </div>
        </div>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
