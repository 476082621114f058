/**
 * "The subscription socket is back after a drop": graphql-ws resends each live subscription as it
 * was first sent, so a stream that can resume from a later position listens here and
 * resubscribes with it. One app, one socket: a module-level signal is enough.
 */
const listeners = new Set<() => void>();

export function onSocketReconnected(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function socketReconnected() {
  for (const listener of [...listeners]) listener();
}
