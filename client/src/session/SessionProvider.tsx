import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { tokenStore } from './tokenStore.ts';

export interface Session {
  token: string | null;
  signedIn: boolean;
  signIn(token: string): void;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

interface Props {
  /** Runs before the app re-renders as another user: clear per-user data, reconnect sockets. */
  onSessionChange: () => Promise<unknown>;
  children: ReactNode;
}

/**
 * Who is signed in. A change of user (here or in another tab) first clears the Apollo cache, then
 * remounts the pages under the new session: no list of one user's runs survives into another's.
 */
export function SessionProvider({ onSessionChange, children }: Props) {
  const [token, setToken] = useState(tokenStore.get);

  useEffect(
    () =>
      tokenStore.subscribe(() => {
        const next = tokenStore.get();
        onSessionChange().finally(() => setToken(next));
      }),
    [onSessionChange],
  );

  const session = useMemo<Session>(
    () => ({
      token,
      signedIn: token !== null,
      signIn: (value) => tokenStore.set(value),
      signOut: () => tokenStore.set(null),
    }),
    [token],
  );

  return (
    <SessionContext.Provider value={session}>
      <SessionScope key={token ?? 'anonymous'}>{children}</SessionScope>
    </SessionContext.Provider>
  );
}

function SessionScope({ children }: { children: ReactNode }) {
  return children;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession must be used inside <SessionProvider>');
  return session;
}
