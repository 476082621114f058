import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePosition } from '../../src/executions/log-position.ts';
import { stack } from '../support/databases.ts';
import { successfulRun } from '../support/final-states.ts';
import { createTemplate } from '../support/operations.ts';
import { dbIdOf, type LoggedEvent, RESUMABLE } from '../support/resuming-follower.ts';
import { collect } from '../support/subscription-results.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const RATE = Number(process.env.BURST_TEST_RATE ?? 500); // completions per second
const SECONDS = Number(process.env.BURST_TEST_SECONDS ?? 10);
const CALLERS = 44;

// A burst on one template, followed by 200 subscribers on two instances: nobody's stream ends,
// nobody misses a row, and each instance's round trips per change stay bounded.
describe.runIf(stack.postgres && stack.redisUrl)('a burst of completions on one template', () => {
  let apps: [TestApp, TestApp];
  let templateId: string;
  let owner: string;
  let callers: string[];
  let strangers: string[];

  beforeAll(async () => {
    const first = await startTestApp();
    const second = await startTestApp({ database: first.database, modelServer: first.modelServer });
    apps = [first, second];
    owner = await first.token('olga');
    callers = await Promise.all(Array.from({ length: CALLERS }, (_, i) => first.token(`b${i}`)));
    strangers = await Promise.all(Array.from({ length: 20 }, (_, i) => first.token(`z${i}`)));
    // Users exist once they have made a request.
    await Promise.all(
      [...callers, ...strangers].map((token) => first.gql('{ viewer { id } }', {}, { token })),
    );
    templateId = await createTemplate(first, owner);
  });
  afterAll(async () => {
    await apps?.[1].close();
    await apps?.[0].close();
  });

  /** A run as the run pipeline logs it: its start, then its final state, on `app`. */
  async function logRun(app: TestApp, callerId: string) {
    const state = successfulRun(dbIdOf(templateId), callerId);
    expect((await app.services.executionLog.start(state.run))?.status).toBe('running');
    expect((await app.services.executionLog.complete(state)).saved).toBe(true);
    return state.run.id;
  }

  it(`${RATE} completions/s for ${SECONDS} s with 200 subscribers on two instances: none ended, none lost`, async () => {
    const seed = await logRun(apps[0], apps[0].userId('b0'));
    const [seedRow] = await apps[0].db.query<{ log_xid: string }>(
      'SELECT log_xid::text FROM x402_prompt_template_usage_logs WHERE id = $1',
      [seed],
    );
    const after = encodePosition({ xid: BigInt(seedRow?.log_xid as string), id: seed });
    // 4 for the owner, 4 for each caller, 20 strangers; half on each instance.
    const viewers = [
      ...Array.from({ length: 4 }, () => owner),
      ...callers.flatMap((token) => Array.from({ length: 4 }, () => token)),
      ...strangers,
    ];
    const since = apps.map((app) => app.subscriptionsStarted());
    const streams = viewers.map((token, n) => ({
      token,
      stream: collect<{ executionLogged: LoggedEvent }>(
        (apps[n % 2] as TestApp).ws(token),
        RESUMABLE,
        { templateId, after },
      ),
    }));
    await Promise.all(
      apps.map((app, i) => app.waitForSubscribers(viewers.length / 2, since[i], 20_000)),
    );
    const before = apps.map((app) => ({ ...app.roundTrips }));

    // RATE runs a second, paced every 20 ms, alternating instances and callers.
    const byCaller = new Map<string, string[]>();
    const writes: Promise<void>[] = [];
    const started = Date.now();
    const total = RATE * SECONDS;
    for (let n = 0; n < total; ) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * RATE) + 1);
      for (; n < due; n++) {
        const token = callers[n % CALLERS] as string;
        const callerId = apps[0].userId(`b${n % CALLERS}`);
        writes.push(
          logRun(apps[n % 2] as TestApp, callerId).then((id) => {
            const ids = byCaller.get(token) ?? [];
            ids.push(id);
            byCaller.set(token, ids);
          }),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(writes);
    const seconds = (Date.now() - started) / 1000;

    const all = [...byCaller.values()].flat();
    const expectedOf = (token: string) =>
      token === owner ? all : strangers.includes(token) ? [] : (byCaller.get(token) ?? []);
    for (const { token, stream } of streams) {
      await stream.waitForFinals(expectedOf(token).length, 60_000);
    }
    await new Promise((resolve) => setTimeout(resolve, 500)); // late duplicates would show now

    let ended = 0;
    let lost = 0;
    let duplicated = 0;
    for (const { token, stream } of streams) {
      if (stream.error || stream.completed) ended++;
      const got = stream.finals
        .map((result) => dbIdOf(result.data?.executionLogged.id as string))
        .filter((id) => id !== seed);
      const expected = new Set(expectedOf(token));
      lost += [...expected].filter((id) => !got.includes(id)).length;
      duplicated += got.length - new Set(got).size;
      expect(got.filter((id) => !expected.has(id))).toEqual([]); // nothing it may not read
    }
    const changes = 2 * total;
    const perChange = apps.map((app, i) => {
      const reads =
        app.roundTrips.changeReads -
        (before[i]?.changeReads ?? 0) +
        (app.roundTrips.visibilityChecks - (before[i]?.visibilityChecks ?? 0));
      return reads / changes;
    });
    console.info(
      `[burst] ${total} runs in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(0)}/s), ${streams.length} subscribers: ended ${ended}, lost ${lost}, duplicated ${duplicated}; round trips per change per instance ${perChange.map((value) => value.toFixed(3)).join(', ')}`,
    );
    expect({ ended, lost, duplicated }).toEqual({ ended: 0, lost: 0, duplicated: 0 });
    for (const value of perChange) expect(value).toBeLessThanOrEqual(3);
    for (const { stream } of streams) stream.unsubscribe();
  }, 300_000);
});
