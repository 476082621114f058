import { afterAll, beforeAll } from 'vitest';

/**
 * Runs the calling test file in `timeZone`, as the browser would report it (process.env.TZ, read
 * by Intl and Date), and restores the zone after.
 */
export function inTimeZone(timeZone: string) {
  let before: string | undefined;
  beforeAll(() => {
    before = process.env.TZ;
    process.env.TZ = timeZone;
  });
  afterAll(() => {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  });
}
