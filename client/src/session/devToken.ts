/**
 * Development sign-in: the server mints a token for any name at POST /dev/token, a route that
 * exists only when NODE_ENV is not production.
 */
export class DevSignInUnavailable extends Error {}

export async function fetchDevToken(name: string): Promise<string> {
  const response = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (response.status === 404 || response.status === 405) {
    throw new DevSignInUnavailable('Development sign-in is turned off on this server.');
  }
  const body = (await response.json().catch(() => null)) as {
    token?: unknown;
    error?: unknown;
  } | null;
  if (!response.ok || typeof body?.token !== 'string') {
    const reason = typeof body?.error === 'string' ? body.error : `HTTP ${response.status}`;
    throw new Error(`Could not sign in: ${reason}`);
  }
  return body.token;
}
