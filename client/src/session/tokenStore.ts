/**
 * The signed-in user's token, kept in localStorage so every tab of the browser shares one session
 * (signing in or out in one tab does the same in the others, through the `storage` event).
 */
const KEY = 'promptmeter.token';

type Listener = () => void;
const listeners = new Set<Listener>();

function read(): string | null {
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: a session lasts as long as the page
  }
}

let current = typeof window === 'undefined' ? null : read();

function emit() {
  for (const listener of listeners) listener();
}

if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key !== KEY && event.key !== null) return;
    const next = read();
    if (next === current) return;
    current = next;
    emit();
  });
}

export const tokenStore = {
  get: (): string | null => current,
  set(token: string | null) {
    if (token === current) return;
    current = token;
    try {
      if (token) window.localStorage.setItem(KEY, token);
      else window.localStorage.removeItem(KEY);
    } catch {
      // storage disabled: keep the in-memory session
    }
    emit();
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
