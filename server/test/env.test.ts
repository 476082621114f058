import { describe, expect, it } from 'vitest';
import { readEnv } from '../src/env.ts';

/** Production refuses guessable secrets such as 'x'.repeat(32). */
const strongSecret = 'k3J9-vQ2_pL8mZ4xW7rT1yB6nC5sD0aF';

describe('configuration', () => {
  it('defaults to the offline set-up', () => {
    const env = readEnv({});
    expect(env).toMatchObject({
      port: 4000,
      databaseUrl: undefined,
      redisUrl: undefined,
      anthropicApiKey: undefined,
      facilitatorUrl: undefined,
      seedDemo: true,
    });
    expect(env.dataDir).toMatch(/\.data$/);
  });

  it.each([
    [{ PORT: 'http' }, /PORT must be an integer/],
    [{ JWT_SECRET: 'short' }, /at least 32 characters/],
    [{ X402_FACILITATOR_URL: 'not a url' }, /must be a URL/],
    [{ SEED_DEMO: 'maybe' }, /SEED_DEMO must be true or false/],
    [{ JWT_JWKS_URL: 'keys' }, /JWT_JWKS_URL must be a URL/],
    [{ GRAPHQL_MAX_COST: '10' }, /GRAPHQL_MAX_COST must be an integer between 100/],
    [{ WS_MAX_SOCKETS_PER_USER: '0' }, /WS_MAX_SOCKETS_PER_USER must be an integer/],
    [{ JWT_MAX_LIFETIME_SECONDS: '1' }, /JWT_MAX_LIFETIME_SECONDS must be an integer/],
    [{ RUN_DEADLINE_MS: '2000000', RUN_INTERRUPTED_AFTER_MS: '1000000' }, /must exceed/],
  ])('refuses %o', (source, message) => {
    expect(() => readEnv(source)).toThrow(message);
  });

  it('reads the limits, with their defaults', () => {
    const env = readEnv({ GRAPHQL_MAX_COST: '20000', WS_MAX_LIFETIME_MS: '60000' });
    expect(env.operationLimits).toMatchObject({ maxCost: 20_000, maxTokens: 2000, maxDepth: 12 });
    expect(env.socketLimits).toMatchObject({ maxLifetimeMs: 60_000, maxSocketsPerUser: 20 });
    expect(env.tokenLimits).toEqual({ maxLifetimeSeconds: 604_800, clockSkewSeconds: 30 });
  });

  it('refuses to run production without a JWT secret or a real facilitator', () => {
    expect(() => readEnv({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET or JWT_JWKS_URL must be set/,
    );
    // An identity provider's keys are enough.
    expect(
      readEnv({
        NODE_ENV: 'production',
        JWT_JWKS_URL: 'https://id.example/.well-known/jwks.json',
        X402_FACILITATOR_URL: 'https://f.example',
        ANTHROPIC_API_KEY: 'sk-test',
      }).jwtJwksUrl,
    ).toBe('https://id.example/.well-known/jwks.json');
    expect(() => readEnv({ NODE_ENV: 'production', JWT_SECRET: strongSecret })).toThrow(
      /X402_FACILITATOR_URL must be set/,
    );
    expect(
      readEnv({ NODE_ENV: 'production', JWT_SECRET: strongSecret, X402_ALLOW_SIMULATED: 'true' })
        .seedDemo,
    ).toBe(false);
    expect(
      readEnv({
        NODE_ENV: 'production',
        JWT_SECRET: strongSecret,
        X402_FACILITATOR_URL: 'https://f.example',
        ANTHROPIC_API_KEY: 'sk-test',
      }).facilitatorUrl,
    ).toBe('https://f.example');
  });
});
