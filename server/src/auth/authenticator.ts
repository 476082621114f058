import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { UUID } from '../lib/uuid.ts';

/** Who is making the request, as proven by a verified token. Nothing else sets it. */
export interface Viewer {
  readonly id: string;
  readonly name: string | null;
}

export class AuthError extends Error {}

export interface Authenticator {
  /** `Bearer <jwt>` (or a bare token, as graphql-ws connectionParams often carry) → viewer. */
  viewerFromAuthorization(value: unknown): Promise<Viewer | null>;
  mint(claims: { sub: string; name?: string }, expiresIn?: string): Promise<string>;
  /**
   * A short-lived token for one purpose (e.g. a download link), signed with a key derived for
   * that purpose: it is not an API token, and an API token is not one of these.
   */
  mintLink(purpose: string, claims: Record<string, unknown>, seconds: number): Promise<string>;
  /** The claims of a link token of `purpose`; AuthError when forged, expired or of another purpose. */
  verifyLink(purpose: string, token: string): Promise<Record<string, unknown>>;
}

export function createAuthenticator(secret: string): Authenticator {
  const key = new TextEncoder().encode(secret);
  const linkKey = (purpose: string) =>
    createHmac('sha256', secret).update(`promptmeter-link:${purpose}`).digest();
  // A verified token stays valid until its exp: verify each token once, not on every request
  // (HS256 through WebCrypto was ~10% of a page request's CPU). Bounded: cleared when full.
  const verified = new Map<string, { viewer: Viewer; until: number }>();
  return {
    async viewerFromAuthorization(value) {
      if (value === undefined || value === null || value === '') return null;
      if (typeof value !== 'string') throw new AuthError('authorization must be a string');
      const token = value.replace(/^Bearer\s+/i, '').trim();
      if (!token) throw new AuthError('empty bearer token');
      const known = verified.get(token);
      if (known && known.until > Date.now()) return known.viewer;
      try {
        // Pinning the algorithm rejects `alg: none` and algorithm-confusion tokens.
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
        if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) {
          throw new AuthError('token subject must be a user UUID');
        }
        const name = typeof payload.name === 'string' ? payload.name.slice(0, 100) || null : null;
        const viewer = { id: payload.sub.toLowerCase(), name };
        if (verified.size >= 10_000) verified.clear();
        // jwtVerify refuses a token whose exp has passed; one without exp is re-checked in a minute.
        verified.set(token, {
          viewer,
          until: payload.exp ? payload.exp * 1000 : Date.now() + 60_000,
        });
        return viewer;
      } catch (error) {
        if (error instanceof AuthError) throw error;
        if (error instanceof joseErrors.JWTExpired) throw new AuthError('token expired');
        throw new AuthError('invalid token');
      }
    },
    mint: ({ sub, name }, expiresIn = '30d') =>
      new SignJWT(name ? { name } : {})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(key),
    mintLink: (purpose, claims, seconds) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
        .sign(linkKey(purpose)),
    async verifyLink(purpose, token) {
      try {
        const { payload } = await jwtVerify(token, linkKey(purpose), {
          algorithms: ['HS256'],
          requiredClaims: ['exp'],
        });
        return payload as Record<string, unknown>;
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw new AuthError('link expired');
        throw new AuthError('invalid link');
      }
    },
  };
}

/** A demo user's stable id, derived from their name, so `npm run token -- alice` is repeatable. */
export function demoUserId(name: string): string {
  const hex = createHash('sha256').update(`promptmeter-demo-user:${name}`).digest('hex');
  // Shaped as an RFC 9562 version-8 (custom) UUID.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Development only: the JWT secret kept in the data directory, created on first use, so tokens
 * minted by `npm run token` keep working across restarts.
 */
export function developmentSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
}
