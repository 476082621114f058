import { mkdirSync } from 'node:fs';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { UUID } from '../lib/uuid.ts';
import type { ReservationEnd } from '../payments/reservations.ts';
import type { ExecutionEnd, ExecutionStart } from './execution.ts';

/** A run's final state that the database has not taken yet: what its client was told. */
export interface FinalState {
  run: ExecutionStart;
  end: ExecutionEnd;
  completedAt: Date;
  /** How the run's payment reservation ends (paid runs), written in the same transaction. */
  reservation: ReservationEnd | null;
}

/**
 * Final states kept on local disk until the database has them, so that they survive the process
 * (SIGKILL, power loss): one file per run, written to a temporary name, fsync'd, renamed into
 * place and the directory fsync'd — a file is either whole or absent. Replayed at start.
 */
export interface RunJournal {
  readonly dir: string;
  /** Durable when it resolves. */
  record(state: FinalState): Promise<void>;
  forget(runId: string): Promise<void>;
  /** Every recorded state, oldest first; unreadable files are set aside (`*.unreadable`). */
  pending(): Promise<FinalState[]>;
}

const SUFFIX = '.json';

export function createRunJournal(
  dir: string,
  report: (message: string) => void = (message) => console.error(`[journal] ${message}`),
): RunJournal {
  mkdirSync(dir, { recursive: true });
  const fileOf = (runId: string) => {
    // The name comes from our own UUID, never from outside: still, no path tricks.
    if (!UUID.test(runId)) throw new Error(`not a run id: ${runId}`);
    return path.join(dir, `${runId}${SUFFIX}`);
  };

  return {
    dir,
    async record(state) {
      const file = fileOf(state.run.id);
      const temporary = `${file}.${process.pid}.tmp`;
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(JSON.stringify(state));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
      await syncDirectory(dir);
    },

    async forget(runId) {
      await unlink(fileOf(runId)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    },

    async pending() {
      const names = (await readdir(dir)).filter((name) => name.endsWith(SUFFIX));
      const states: FinalState[] = [];
      for (const name of names) {
        const file = path.join(dir, name);
        try {
          states.push(parseFinalState(await readFile(file, 'utf8')));
        } catch (error) {
          report(`unreadable journal entry ${name} set aside: ${(error as Error).message}`);
          await rename(file, `${file}.unreadable`).catch(() => {});
        }
      }
      return states.sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime());
    },
  };
}

function parseFinalState(text: string): FinalState {
  const parsed = JSON.parse(text) as FinalState & { completedAt: string };
  const completedAt = new Date(parsed.completedAt);
  if (!UUID.test(parsed.run?.id) || !parsed.end?.status || Number.isNaN(completedAt.getTime())) {
    throw new Error('not a final state');
  }
  return { ...parsed, completedAt };
}

/** Makes a rename in `dir` durable (POSIX: the directory entry is data of the directory). */
async function syncDirectory(dir: string) {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
