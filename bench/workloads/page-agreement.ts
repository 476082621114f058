import pg from 'pg';
import { normalise, type PageRequests } from '../clients/page-requests.ts';
import { ACTORS, HOT_TEMPLATE } from '../dataset/actors.ts';
import type { Dataset } from '../dataset/dataset.ts';
import { type HttpTarget, post } from '../harness/load.ts';
import { byServer, LETTER, SERVER_KINDS, type ServerKind } from '../harness/processes.ts';
import type { Check } from './check.ts';

/** All three servers must return the same page, and the page the database says is right. */
export async function verifyAgreement(dataset: Dataset, requests: PageRequests): Promise<Check[]> {
  const checks: Check[] = [];
  const db = new pg.Client({ connectionString: dataset.url });
  await db.connect();
  const truth = async (offset: number, limit: number) =>
    (
      await db.query<{ id: string }>(
        `SELECT id FROM x402_prompt_template_usage_logs WHERE template_id = $1 AND caller_id = $2
         ORDER BY created_at DESC, id DESC OFFSET $3 LIMIT $4`,
        [HOT_TEMPLATE, ACTORS.hotCaller, offset, limit],
      )
    ).rows.map((row) => row.id);
  const total = Number(
    (
      await db.query(
        'SELECT count(*) FROM x402_prompt_template_usage_logs WHERE template_id = $1 AND caller_id = $2',
        [HOT_TEMPLATE, ACTORS.hotCaller],
      )
    ).rows[0].count,
  );
  try {
    const cases: Array<[string, Record<ServerKind, HttpTarget>, number]> = [
      ['first page', requests.first, 0],
      [`deep page (cursor ${dataset.deepOffset} rows in)`, requests.deep, dataset.deepOffset],
      ['first page + totalCount', requests.withCount, 0],
    ];
    for (const [name, targets, offset] of cases) {
      const answers = {} as Record<ServerKind, string>;
      for (const server of SERVER_KINDS) {
        const { status, text } = await post(targets[server]);
        if (status !== 200)
          throw new Error(`${LETTER[server]} answered ${status} to ${name}: ${text.slice(0, 300)}`);
        answers[server] = text;
      }
      checks.push(...samePage(name, answers, await truth(offset, 20), total));
    }
    // Following endCursor gives the next 20 rows on each server.
    for (const server of SERVER_KINDS) {
      const first = normalise(server, (await post(requests.first[server])).text);
      const cursor = first.endCursor ?? '';
      const next = requests.target(server, {
        count: false,
        after: { promptmeter: cursor, postgraphile: cursor },
      });
      const second = normalise(server, (await post(next)).text);
      const expected = await truth(20, 20);
      const ok = JSON.stringify(second.rows.map((row) => row.id)) === JSON.stringify(expected);
      checks.push({
        name: `${LETTER[server]}: endCursor leads to rows 21-40`,
        ok,
        detail: ok ? 'match' : `got ${String(second.rows[0]?.id)}…`,
      });
    }
  } finally {
    await db.end();
  }
  return checks;
}

/** One case's answers against each other and against the database's ids (and count). */
function samePage(
  name: string,
  answers: Record<ServerKind, string>,
  expected: string[],
  total: number,
): Check[] {
  const checks: Check[] = [];
  const pages = byServer((server) => normalise(server, answers[server]));
  const promptmeter = pages.promptmeter;
  const sameAsPromptmeter =
    JSON.stringify({ ...pages.postgraphile, endCursor: null }) ===
    JSON.stringify({ ...promptmeter, endCursor: null });
  checks.push({
    name: `${name}: F answers byte-for-byte what O answers`,
    ok: answers.floor === answers.promptmeter,
    detail:
      answers.floor === answers.promptmeter
        ? `${answers.promptmeter.length} bytes`
        : `F ${answers.floor.slice(0, 200)} / O ${answers.promptmeter.slice(0, 200)}`,
  });
  checks.push({
    name: `${name}: P returns the same rows and page info as O`,
    ok: sameAsPromptmeter,
    detail: sameAsPromptmeter
      ? `${promptmeter.rows.length} rows`
      : `P ${JSON.stringify(pages.postgraphile).slice(0, 300)}`,
  });
  const ids = promptmeter.rows.map((row) => row.id);
  const right = JSON.stringify(ids) === JSON.stringify(expected) && promptmeter.hasNextPage;
  checks.push({
    name: `${name}: O's rows are the database's (RLS on, newest first, 20, hasNextPage)`,
    ok: right,
    detail: right
      ? `${ids.length} ids match`
      : `got ${ids.slice(0, 3).join(',')}… want ${expected.slice(0, 3).join(',')}…`,
  });
  if (promptmeter.totalCount !== undefined) {
    checks.push({
      name: `${name}: totalCount is exact`,
      ok: promptmeter.totalCount === total,
      detail: `${promptmeter.totalCount} (database: ${total})`,
    });
  }
  return checks;
}
