import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { BENCH_DIR, ROOT } from '../harness/config.ts';
import { renderReport } from './render.ts';
import type { BenchResults } from './results.ts';

/** The report, in the project's own Markdown format (the lint checks BENCHMARKS.md too). */
export function writeReport(results: BenchResults, outFile: string) {
  writeFileSync(outFile, renderReport(results, `${BENCH_DIR}analysis.md`));
  try {
    execFileSync(`${ROOT}node_modules/.bin/biome`, ['format', '--write', outFile], {
      stdio: 'ignore',
    });
  } catch {
    // Outside the project's lint (e.g. bench/out): unformatted is fine.
  }
}
