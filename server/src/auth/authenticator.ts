import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JWTPayload,
  type JWTVerifyResult,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from 'jose';
import { DEFAULT_TOKEN_LIMITS, type TokenLimits } from '../lib/limits.ts';
import { UUID } from '../lib/uuid.ts';

/** Who is making the request, as proven by a verified token. Nothing else sets it. */
export interface Viewer {
  readonly id: string;
  readonly name: string | null;
}

/** A verified token: its viewer, and when it stops being valid (ms since the epoch). */
export interface Session {
  readonly viewer: Viewer;
  readonly expiresAt: number;
}

/** The token was refused: HTTP 401, WebSocket close 4403. */
export class AuthError extends Error {}

/** The identity provider's keys could not be fetched: nobody could be verified (HTTP 503). */
export class IdentityProviderUnavailable extends Error {}

export interface Authenticator {
  /** `Bearer <jwt>` (or a bare token, as graphql-ws connectionParams often carry) → viewer. */
  viewerFromAuthorization(value: unknown): Promise<Viewer | null>;
  /** The same, with the token's expiry (a WebSocket is closed then). */
  sessionFromAuthorization(value: unknown): Promise<Session | null>;
  /** An HS256 token of ours; `expiresIn` (jose's "2h", "7d"…) defaults to the longest allowed. */
  mint(claims: { sub: string; name?: string }, expiresIn?: string): Promise<string>;
  /**
   * A short-lived token for one purpose (e.g. a download link), signed with a key derived for
   * that purpose: it is not an API token, and an API token is not one of these.
   */
  mintLink(purpose: string, claims: Record<string, unknown>, seconds: number): Promise<string>;
  /** The claims of a link token of `purpose`; AuthError when forged, expired or of another purpose. */
  verifyLink(purpose: string, token: string): Promise<Record<string, unknown>>;
}

/** How tokens are verified (README "Security" → "Tokens"). */
export interface TokenPolicy extends TokenLimits {
  /** HS256 tokens: signed with this secret (ours: `npm run token`, the dev sign-in). */
  secret?: string;
  /** RS256/ES256 tokens from an identity provider, verified with its published keys. */
  jwksUrl?: string;
  /** When set, `iss` must equal it. */
  issuer?: string;
  /** When set, `aud` must contain it. */
  audience?: string;
}

const IDENTITY_PROVIDER_ALGORITHMS = ['RS256', 'ES256'];
const MAX_NAME_LENGTH = 100;
const MAX_SUBJECT_LENGTH = 255;

export function createAuthenticator(
  secretOrPolicy: string | (Partial<TokenPolicy> & ({ secret: string } | { jwksUrl: string })),
): Authenticator {
  const policy: TokenPolicy = {
    ...DEFAULT_TOKEN_LIMITS,
    ...(typeof secretOrPolicy === 'string' ? { secret: secretOrPolicy } : secretOrPolicy),
  };
  const key = policy.secret ? new TextEncoder().encode(policy.secret) : null;
  const keySet = policy.jwksUrl ? createRemoteJWKSet(new URL(policy.jwksUrl)) : null;
  const claimChecks = {
    issuer: policy.issuer,
    audience: policy.audience,
    clockTolerance: policy.clockSkewSeconds,
    requiredClaims: ['exp', 'sub'],
  };

  async function verify(token: string): Promise<JWTVerifyResult> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AuthError('invalid token');
    }
    // Pinning the algorithm per key rejects `alg: none` and algorithm-confusion tokens.
    if (alg === 'HS256' && key) return jwtVerify(token, key, { ...claimChecks, algorithms: [alg] });
    if (alg && keySet && IDENTITY_PROVIDER_ALGORITHMS.includes(alg)) {
      return jwtVerify(token, keySet, { ...claimChecks, algorithms: IDENTITY_PROVIDER_ALGORITHMS });
    }
    throw new AuthError('invalid token');
  }

  /** The policy jose does not check itself: a bounded lifetime, nothing issued in the future. */
  function checkLifetime(payload: JWTPayload) {
    const now = Date.now() / 1000;
    const exp = payload.exp as number;
    if (payload.iat !== undefined && payload.iat > now + policy.clockSkewSeconds) {
      throw new AuthError('token issued in the future (iat)');
    }
    const from = payload.iat ?? now;
    if (exp - from > policy.maxLifetimeSeconds + policy.clockSkewSeconds) {
      throw new AuthError(`token lifetime over ${policy.maxLifetimeSeconds} s (exp - iat)`);
    }
    if (exp - now > policy.maxLifetimeSeconds + policy.clockSkewSeconds) {
      throw new AuthError(`token expires more than ${policy.maxLifetimeSeconds} s from now`);
    }
  }

  // Download links are signed with keys derived from the secret per purpose: never valid as an
  // API token, nor an API token as a link. A server that only verifies JWKS tokens signs them
  // with a key of its own process (a link then works on the instance that made it).
  const linkSecret = policy.secret ?? randomBytes(32);
  const linkKey = (purpose: string) =>
    createHmac('sha256', linkSecret).update(`promptmeter-link:${purpose}`).digest();

  // A verified token stays valid until its exp: verify each token once, not on every request
  // (HS256 through WebCrypto was ~10% of a page request's CPU). Bounded: cleared when full.
  const verified = new Map<string, Session>();

  async function sessionFromAuthorization(value: unknown): Promise<Session | null> {
    if (value === undefined || value === null || value === '') return null;
    if (typeof value !== 'string') throw new AuthError('authorization must be a string');
    const token = value.replace(/^Bearer\s+/i, '').trim();
    if (!token) throw new AuthError('empty bearer token');
    const known = verified.get(token);
    if (known && known.expiresAt > Date.now()) return known;
    try {
      const { payload, protectedHeader } = await verify(token);
      checkLifetime(payload);
      const session: Session = {
        viewer: {
          id: userId(payload, protectedHeader.alg === 'HS256'),
          name: normalisedName(payload.name),
        },
        expiresAt: (payload.exp as number) * 1000,
      };
      if (verified.size >= 10_000) verified.clear();
      verified.set(token, session);
      return session;
    } catch (error) {
      if (error instanceof AuthError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new AuthError('token expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        throw new AuthError(`${error.claim} claim refused: ${error.reason}`);
      }
      if (error instanceof joseErrors.JWKSTimeout || isFetchFailure(error)) {
        throw new IdentityProviderUnavailable(`JWKS unavailable: ${(error as Error).message}`);
      }
      throw new AuthError('invalid token');
    }
  }

  return {
    sessionFromAuthorization,
    viewerFromAuthorization: async (value) =>
      (await sessionFromAuthorization(value))?.viewer ?? null,
    mint: ({ sub, name }, expiresIn = `${policy.maxLifetimeSeconds}s`) => {
      if (!key) throw new Error('minting needs JWT_SECRET (this server only verifies JWKS tokens)');
      const jwt = new SignJWT(name ? { name } : {})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(expiresIn);
      if (policy.issuer) jwt.setIssuer(policy.issuer);
      if (policy.audience) jwt.setAudience(policy.audience);
      return jwt.sign(key);
    },
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

/**
 * Our tokens (HS256) name the user's UUID. An identity provider's `sub` is used as is when it is
 * a UUID (Supabase); otherwise (Auth0's "auth0|…") the user id is derived from `iss` and `sub`,
 * the same every time.
 */
function userId(payload: JWTPayload, ours: boolean): string {
  const sub = payload.sub as string;
  if (UUID.test(sub)) return sub.toLowerCase();
  if (ours || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) {
    throw new AuthError('token subject must be a user UUID');
  }
  return uuidFromHash(`promptmeter-subject:${payload.iss ?? ''}\n${sub}`);
}

/**
 * The `name` claim as stored: text PostgreSQL can hold (no NUL or other control characters, no
 * lone surrogates), NFC, trimmed, at most 100 characters; null when nothing is left.
 */
export function normalisedName(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const cleaned = value
    .slice(0, MAX_NAME_LENGTH * 4)
    .replace(/[\uD800-\uDFFF]/gu, '') // lone surrogates only: the u flag keeps pairs whole
    .replace(/\p{Cc}+/gu, ' ')
    .normalize('NFC')
    .replace(/\s+/gu, ' ')
    .trim();
  return Array.from(cleaned).slice(0, MAX_NAME_LENGTH).join('').trim() || null;
}

/** fetch() failed (TypeError), or the key set answer was not 200 JSON (a generic JOSEError). */
const isFetchFailure = (error: unknown) =>
  error instanceof TypeError ||
  (error instanceof joseErrors.JOSEError && error.code === 'ERR_JOSE_GENERIC');

/** A demo user's stable id, derived from their name, so `npm run token -- alice` is repeatable. */
export function demoUserId(name: string): string {
  return uuidFromHash(`promptmeter-demo-user:${name}`);
}

function uuidFromHash(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
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
