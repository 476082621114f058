-- Analytics reads a piece's callers (caller_key, runs, revenue_micro) by (template, grain, start),
-- thousands of rows for a month: with runs and revenue in the primary key's index (INCLUDE), that
-- is an index-only scan instead of a heap fetch per row. Writes keep one index: an update of runs
-- or revenue already wrote a new index entry whenever the page had no room for a HOT update.
ALTER TABLE x402_usage_caller_rollups
  DROP CONSTRAINT x402_usage_caller_rollups_pkey,
  ADD PRIMARY KEY (template_id, grain_minutes, bucket_start, caller_key) INCLUDE (runs, revenue_micro);
