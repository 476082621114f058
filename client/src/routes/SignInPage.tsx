import { type FormEvent, useId, useState } from 'react';
import { navigate } from '../app/router.tsx';
import { DevSignInUnavailable, fetchDevToken } from '../session/devToken.ts';
import { useSession } from '../session/SessionProvider.tsx';

const DEMO_USERS = ['alice', 'bob'];
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** Sign in: as a demo user in development, or with a token from `npm run token -- <name>`. */
export function SignInPage({ next }: { next: string }) {
  const id = useId();
  const { signIn } = useSession();
  const [name, setName] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [devError, setDevError] = useState<string | null>(null);
  const [tokenError, setTokenError] = useState<string | null>(null);

  const finish = (value: string) => {
    signIn(value);
    navigate(next, { replace: true });
  };

  async function signInAs(who: string) {
    const trimmed = who.trim();
    if (!trimmed) {
      setDevError('Enter a name to sign in as.');
      return;
    }
    setBusy(trimmed);
    setDevError(null);
    try {
      finish(await fetchDevToken(trimmed));
    } catch (error) {
      setDevError(
        error instanceof DevSignInUnavailable
          ? `${error.message} Paste a token instead.`
          : error instanceof Error
            ? error.message
            : 'Could not sign in.',
      );
      setBusy(null);
    }
  }

  function onTokenSubmit(event: FormEvent) {
    event.preventDefault();
    const value = token.trim().replace(/^Bearer\s+/i, '');
    if (!JWT_SHAPE.test(value)) {
      setTokenError('That does not look like a token: expected three dot-separated parts.');
      return;
    }
    finish(value);
  }

  return (
    <div className="page page--narrow">
      <h1>Sign in</h1>
      <section className="card" aria-labelledby={`${id}-dev`}>
        <h2 id={`${id}-dev`}>Sign in as a demo user</h2>
        <p className="muted">Development servers mint a token for any name.</p>
        <div className="button-row">
          {DEMO_USERS.map((user) => (
            <button
              key={user}
              type="button"
              className="button"
              disabled={busy !== null}
              onClick={() => void signInAs(user)}
            >
              Sign in as {user}
            </button>
          ))}
        </div>
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void signInAs(name);
          }}
        >
          <label htmlFor={`${id}-name`}>Another name</label>
          <input
            id={`${id}-name`}
            value={name}
            autoComplete="username"
            onChange={(event) => setName(event.target.value)}
          />
          <button type="submit" className="button" disabled={busy !== null}>
            {busy && !DEMO_USERS.includes(busy) ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        {devError && (
          <p className="notice notice--error" role="alert">
            {devError}
          </p>
        )}
      </section>
      <section className="card" aria-labelledby={`${id}-token`}>
        <h2 id={`${id}-token`}>Use a token</h2>
        <form className="form" onSubmit={onTokenSubmit}>
          <div className="field">
            <label htmlFor={`${id}-token-input`}>Token</label>
            <span className="field__hint" id={`${id}-token-hint`}>
              From <code>npm run token -- &lt;name&gt;</code> on the server.
            </span>
            <textarea
              id={`${id}-token-input`}
              value={token}
              rows={3}
              spellCheck={false}
              aria-describedby={`${id}-token-hint`}
              aria-invalid={tokenError !== null || undefined}
              onChange={(event) => {
                setToken(event.target.value);
                setTokenError(null);
              }}
            />
          </div>
          {tokenError && (
            <p className="notice notice--error" role="alert">
              {tokenError}
            </p>
          )}
          <div className="form__actions">
            <button type="submit" className="button button--primary">
              Sign in with token
            </button>
          </div>
        </form>
      </section>
    </div>
  );
}
