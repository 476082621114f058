import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemplate, EXECUTION_LOGGED, execute } from '../support/operations.ts';
import { collect } from '../support/subscription-results.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const CALLERS = 24;

// However many viewers follow a template, an instance reads each change once and asks the
// database once which of them may read it (RLS still decides): counted in round trips.
describe('the live history of a template followed by many viewers', () => {
  let app: TestApp;
  let templateId: string;
  let owner: string;
  let callers: string[];
  let strangers: string[];

  beforeAll(async () => {
    app = await startTestApp();
    owner = await app.token('owen');
    callers = await Promise.all(Array.from({ length: CALLERS }, (_, i) => app.token(`c${i}`)));
    strangers = await Promise.all([1, 2, 3, 4].map((i) => app.token(`s${i}`)));
    templateId = await createTemplate(app, owner);
  });
  afterAll(() => app?.close());

  it('costs a bounded number of round trips per event, not one per viewer, and each viewer gets only its rows', async () => {
    const viewers = [owner, ...callers, ...strangers];
    const since = app.subscriptionsStarted();
    const streams = viewers.map((token) =>
      collect(app.ws(token), EXECUTION_LOGGED, { templateId }),
    );
    await app.waitForSubscribers(viewers.length, since);
    // Each caller in turn runs the template (sometimes two at once).
    const before = { ...app.roundTrips };
    const ran: Array<{ caller: number; id: string }> = [];
    for (let i = 0; i < CALLERS; i += 2) {
      const pair = [i, i + 1].map(async (caller) => {
        const result = await execute(app, callers[caller], templateId);
        expect(result.errors).toBeUndefined();
        ran.push({ caller, id: result.data?.executeTemplate.execution.id });
      });
      await Promise.all(pair);
    }
    const all = ran.map((run) => run.id).sort();
    const [ownerStream, ...others] = streams;
    const ids = (stream: (typeof streams)[number]) =>
      stream.finals.map((result) => result.data?.executionLogged.id as string);
    await ownerStream?.waitForFinals(CALLERS, 10_000);
    for (const stream of others.slice(0, CALLERS)) await stream.waitForFinals(1, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // late duplicates would show now
    expect(ownerStream && [...ids(ownerStream)].sort()).toEqual(all);
    for (const [n, stream] of others.slice(0, CALLERS).entries()) {
      expect(ids(stream)).toEqual(ran.filter((run) => run.caller === n).map((run) => run.id));
    }
    for (const stream of others.slice(CALLERS)) expect(stream.results).toEqual([]);

    // Each run is two changes (its start and its end). Reads of changes and visibility checks
    // together stay within 3 per change; one read per viewer would be 29 per change.
    const changes = 2 * CALLERS;
    const reads =
      app.roundTrips.changeReads -
      before.changeReads +
      (app.roundTrips.visibilityChecks - before.visibilityChecks);
    console.info(
      `[live log] ${viewers.length} viewers, ${changes} changes: ${reads} round trips (${(reads / changes).toFixed(2)} per change)`,
    );
    expect(reads).toBeGreaterThan(0);
    expect(reads / changes).toBeLessThanOrEqual(3);
    for (const stream of streams) {
      expect(stream.error).toBeNull();
      stream.unsubscribe();
    }
  });
});
