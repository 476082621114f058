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
    [{ RUN_DEADLINE_MS: '2000000', RUN_INTERRUPTED_AFTER_MS: '1000000' }, /must exceed/],
  ])('refuses %o', (source, message) => {
    expect(() => readEnv(source)).toThrow(message);
  });

  it('refuses to run production without a JWT secret or a real facilitator', () => {
    expect(() => readEnv({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET must be set/);
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
