import type { ReactNode } from 'react';
import { describeError } from '../lib/errors.ts';

export function Loading({ children = 'Loading…' }: { children?: ReactNode }) {
  return (
    <p className="loading muted" role="status">
      <span className="spinner" aria-hidden="true" />
      {children}
    </p>
  );
}

export function ErrorNotice({
  error,
  title = 'Something went wrong.',
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}) {
  return (
    <div className="notice notice--error" role="alert">
      <p>
        <strong>{title}</strong> {describeError(error)}
      </p>
      {onRetry && (
        <button type="button" className="button button--small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
