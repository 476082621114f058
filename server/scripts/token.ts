// `npm run token -- <name>`: prints a development token for a demo user (stable id per name).
import { createAuthenticator, demoUserId } from '../src/auth/authenticator.ts';
import { readEnv } from '../src/env.ts';
import { tokenPolicy } from '../src/services.ts';

const name = process.argv[2];
if (!name || process.argv.length > 3 || !/^[\w.-]{1,100}$/.test(name)) {
  console.error('usage: npm run token -- <name>     e.g. npm run -s token -- alice');
  process.exit(2);
}
const env = readEnv();
if (env.production) {
  console.error(
    'npm run token is a development tool; in production your identity provider issues tokens',
  );
  process.exit(2);
}
// Valid for the longest lifetime the server accepts (JWT_MAX_LIFETIME_SECONDS, 7 days by default).
const authenticator = createAuthenticator(tokenPolicy(env));
console.log(await authenticator.mint({ sub: demoUserId(name), name }));
