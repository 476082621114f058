import { demoUserId } from '../../server/src/testing.ts';

/** The fixed actors of the dataset; ids are stable across runs (derived from names). */
export const ACTORS = {
  owner: demoUserId('bench-owner'),
  /** Holds the hot pair: a tenth of all rows are this caller's runs of the hot template. */
  hotCaller: demoUserId('bench-hot-caller'),
  /** Runs templates in the run and fan-out workloads (not the owner: RLS has work to do). */
  runner: demoUserId('bench-runner'),
  /** Reads nothing of the owner's templates: must receive no event. */
  stranger: demoUserId('bench-stranger'),
};
export const HOT_TEMPLATE = '0b0b0b0b-0000-4000-8000-000000000001';
export const RUN_TEMPLATE = '0b0b0b0b-0000-4000-8000-000000000002';
