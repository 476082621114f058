import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stack } from '../support/databases.ts';
import { createTemplate, EXECUTION_LOGGED, execute } from '../support/operations.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Done-when 3: two server instances sharing PostgreSQL and Redis behave as one service.
describe.runIf(stack.postgres && stack.redisUrl)(
  'two instances sharing PostgreSQL and Redis',
  () => {
    let first: TestApp;
    let second: TestApp;
    let templateId: string;

    beforeAll(async () => {
      first = await startTestApp();
      second = await startTestApp({ database: first.database, modelServer: first.modelServer });
      templateId = await createTemplate(first, await first.token('olive'));
    });
    afterAll(async () => {
      await second?.close();
      await first?.close();
    });

    it('delivers a run on one instance to a subscriber on the other, and to no one else', async () => {
      const caller = await first.token('carl');
      const onFirst = await first.watch(caller, EXECUTION_LOGGED, { templateId });
      const stranger = await first.watch(await first.token('stan'), EXECUTION_LOGGED, {
        templateId,
      });
      first.modelServer.enqueue({ kind: 'text', text: 'across', inputTokens: 9, outputTokens: 2 });

      const run = await execute(second, await second.token('carl'), templateId);
      const id = run.data?.executeTemplate.execution.id;
      const [event] = await onFirst.waitForFinals(1);
      expect(event?.data?.executionLogged).toMatchObject({
        id,
        status: 'SUCCESS',
        inputTokens: 9,
        outputTokens: 2,
      });

      // And back: a run on the first instance reaches a subscriber on the second.
      const onSecond = await second.watch(caller, EXECUTION_LOGGED, { templateId });
      const back = await execute(first, caller, templateId);
      expect((await onSecond.waitForFinals(1))[0]?.data?.executionLogged.id).toBe(
        back.data?.executeTemplate.execution.id,
      );
      await onFirst.waitForFinals(2);
      expect(onFirst.finals).toHaveLength(2);
      expect(stranger.results).toEqual([]);
    });
  },
);
