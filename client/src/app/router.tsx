import {
  type AnchorHTMLAttributes,
  type MouseEvent,
  type ReactNode,
  useCallback,
  useSyncExternalStore,
} from 'react';

/**
 * A deliberately small history router: four routes do not justify a routing library in the
 * bundle. Links are real <a href> elements, so opening in a new tab and keyboard use just work.
 */
const NAVIGATE = 'promptmeter:navigate';

function subscribe(listener: () => void) {
  window.addEventListener('popstate', listener);
  window.addEventListener(NAVIGATE, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(NAVIGATE, listener);
  };
}

const currentHref = () => window.location.pathname + window.location.search;

export function navigate(to: string, options: { replace?: boolean } = {}) {
  if (to === currentHref()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.scrollTo(0, 0);
  window.dispatchEvent(new Event(NAVIGATE));
}

export function useLocation(): URL {
  const href = useSyncExternalStore(subscribe, currentHref);
  return new URL(href, window.location.origin);
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & {
  to: string;
  children: ReactNode;
};

export function Link({ to, onClick, children, ...rest }: LinkProps) {
  const handleClick = useCallback(
    (event: MouseEvent<HTMLAnchorElement>) => {
      onClick?.(event);
      const modified = event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
      if (event.defaultPrevented || modified || event.button !== 0 || rest.target) return;
      event.preventDefault();
      navigate(to);
    },
    [onClick, to, rest.target],
  );
  return (
    <a href={to} onClick={handleClick} {...rest}>
      {children}
    </a>
  );
}

export const paths = {
  templates: () => '/',
  signIn: (next?: string) => (next ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in'),
  template: (id: string) => `/templates/${encodeURIComponent(id)}`,
  executions: (id: string) => `/templates/${encodeURIComponent(id)}/executions`,
  analytics: (id: string) => `/templates/${encodeURIComponent(id)}/analytics`,
};

export type Route =
  | { name: 'templates' }
  | { name: 'signIn'; next: string }
  | { name: 'template'; templateId: string }
  | { name: 'executions'; templateId: string }
  | { name: 'analytics'; templateId: string }
  | { name: 'notFound' };

export function matchRoute(location: URL): Route {
  const path = location.pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { name: 'templates' };
  if (path === '/sign-in') {
    const next = location.searchParams.get('next');
    // Only same-site paths: never bounce a fresh session to another origin.
    return { name: 'signIn', next: next?.startsWith('/') && !next.startsWith('//') ? next : '/' };
  }
  const match = /^\/templates\/([^/]+)(\/executions|\/analytics)?$/.exec(path);
  if (match?.[1]) {
    let templateId: string;
    try {
      templateId = decodeURIComponent(match[1]);
    } catch {
      return { name: 'notFound' };
    }
    if (match[2] === '/analytics') return { name: 'analytics', templateId };
    return match[2] ? { name: 'executions', templateId } : { name: 'template', templateId };
  }
  return { name: 'notFound' };
}
