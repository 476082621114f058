import type { Window } from '../harness/load.ts';
import { LETTER, type ServerKind } from '../harness/processes.ts';
import { spread } from '../harness/stats.ts';

/** One row of the summary table; `ok` null when the figure has no target. */
export interface SummaryRow {
  n: string;
  workload: string;
  figure: string;
  target: string;
  result: string;
  ok: boolean | null;
}

export const summaryRow = (
  n: string,
  workload: string,
  figure: string,
  target: string,
  result: string,
  ok: boolean | null,
): SummaryRow => ({ n, workload, figure, target, result, ok });

/** A server as the detail tables name it. */
export const SERVER_LABEL: Record<ServerKind, string> = {
  floor: `${LETTER.floor} — floor (node:http + pg)`,
  postgraphile: `${LETTER.postgraphile} — PostGraphile v5`,
  promptmeter: `${LETTER.promptmeter} — promptmeter`,
};

/** One figure of a server's windows, over the rounds. */
export const med = (windows: Window[], key: keyof Window) =>
  spread(windows.map((w) => w[key] as number));
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
