/**
 * `npm run bench [-- --quick] [--only=1,4] [--rounds=N] [--out=FILE] [--no-profile] [--render]`
 *
 * --only=… reruns some workloads and merges them into the last results of the same mode
 * (bench/out/results-<mode>.json), so the report stays whole; --render only rewrites the report
 * from those results (e.g. after editing bench/analysis.md).
 *
 * Builds (or reuses) the dataset, starts F, P and O, checks they agree, runs workloads 1-6
 * and writes BENCHMARKS.md (quick mode: bench/out/BENCHMARKS.quick.md, so a smoke run never
 * overwrites the full numbers). Exits non-zero only when a behaviour check fails — never
 * because of a timing.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MODES, OUT_DIR, ROOT } from './harness/config.ts';
import { type BenchPlan, runBench } from './harness/run-bench.ts';
import { allChecks, readResults } from './report/results.ts';
import { writeReport } from './report/write.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    // Fewer (or more) interleaved rounds, e.g. for a trial of one change.
    rounds: { type: 'string' },
    out: { type: 'string' },
    'no-profile': { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
  },
});
const base = MODES[values.quick ? 'quick' : 'full'];
const mode = values.rounds ? { ...base, rounds: Number(values.rounds) } : base;
const plan: BenchPlan = {
  mode,
  only: values.only?.split(',').map(Number),
  // BENCH_PROFILE=1: profiles in quick mode too (a trial of one workload).
  profiling: (mode.name === 'full' || process.env.BENCH_PROFILE === '1') && !values['no-profile'],
};
const outFile =
  values.out ?? (mode.name === 'quick' ? `${OUT_DIR}/BENCHMARKS.quick.md` : `${ROOT}BENCHMARKS.md`);
const resultsFile = `${OUT_DIR}/results-${mode.name}.json`;

const started = performance.now();
const log = (line: string) =>
  console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);

const previous = readResults(resultsFile);
if (values.render) {
  if (!previous) throw new Error(`nothing to render: ${resultsFile} does not exist`);
  writeReport(previous, outFile);
  log(`rendered ${outFile.replace(ROOT, '')} from ${resultsFile.replace(ROOT, '')}`);
  process.exit(0);
}

const results = await runBench(plan, previous, log);
writeFileSync(resultsFile, JSON.stringify(results, null, 2));
writeReport(results, outFile);
const broken = allChecks(results).filter((check) => !check.ok);
log(
  `wrote ${outFile.replace(ROOT, '')} and bench/out/results-${mode.name}.json in ${results.seconds.toFixed(0)} s`,
);
for (const check of broken) log(`FAILED: ${check.name} — ${check.detail}`);
process.exit(broken.length > 0 ? 1 : 0);
