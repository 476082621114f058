import type { FragmentType } from '@apollo/client';
import { useFragment } from '@apollo/client/react';
import { graphql } from '../gql/index.ts';
import { useSession } from './SessionProvider.tsx';

export const ViewerMenuFragment = graphql(`
  fragment ViewerMenu_viewer on User {
    id
    name
  }
`);

/** The signed-in user's name and the way out. */
export function ViewerMenu({ viewer }: { viewer: FragmentType<typeof ViewerMenuFragment> }) {
  const { data } = useFragment({ fragment: ViewerMenuFragment, from: viewer });
  const { signOut } = useSession();
  return (
    <div className="viewer-menu">
      <span className="viewer-menu__name" title="Signed in">
        {data?.name ?? 'Signed in'}
      </span>
      <button type="button" className="button button--ghost" onClick={signOut}>
        Sign out
      </button>
    </div>
  );
}
