-- 010_analytics_pieces: coarser rollups so that an owner's analytics reads a few rows per bucket
-- (README "Analytics"). Applied once by server/src/db/migrate.ts; never edit once landed.
--
-- Every rollup is additive per key, so a range is a signed sum of aligned UTC pieces: a New York
-- day [05:00Z, 05:00Z) is the UTC day minus its first 5 hours plus the next day's first 5 hours
-- (11 rows, not 24), and a 30-day range is a 28-day piece plus or minus a few days and hours.
-- Grains (minutes): counters 15, 60, 1440; execution-time histograms, callers and errors also
-- 10080 (7 days) and 40320 (28 days), all aligned to the Unix epoch.
--
-- Execution-time histograms become one row per piece (an integer array indexed by bin, its lower
-- bound the lowest bin used) instead of one row per bin: a day piece of a busy template was ~150
-- rows. Same bins and error bound as 007.

ALTER TABLE x402_usage_rollups ADD COLUMN grain_minutes SMALLINT NOT NULL DEFAULT 15
  CHECK (grain_minutes IN (15, 60, 1440));
ALTER TABLE x402_usage_rollups ALTER COLUMN grain_minutes DROP DEFAULT;
ALTER TABLE x402_usage_rollups DROP CONSTRAINT x402_usage_rollups_pkey;
ALTER TABLE x402_usage_rollups ADD PRIMARY KEY (template_id, grain_minutes, bucket_start);

DROP TABLE x402_usage_latency_rollups;
CREATE TABLE x402_usage_latency_histograms (
  template_id   UUID NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
  grain_minutes INTEGER NOT NULL CHECK (grain_minutes IN (15, 60, 1440, 10080, 40320)),
  bucket_start  TIMESTAMPTZ NOT NULL,
  -- counts[bin] = finished runs in that bin; NULL where none (the array grows either way).
  counts        INTEGER[] NOT NULL,
  PRIMARY KEY (template_id, grain_minutes, bucket_start)
);

ALTER TABLE x402_usage_caller_rollups DROP CONSTRAINT x402_usage_caller_rollups_grain_minutes_check;
ALTER TABLE x402_usage_caller_rollups ALTER COLUMN grain_minutes TYPE INTEGER; -- 40320 > smallint
ALTER TABLE x402_usage_caller_rollups ADD CHECK (grain_minutes IN (15, 60, 1440, 10080, 40320));
ALTER TABLE x402_usage_error_rollups DROP CONSTRAINT x402_usage_error_rollups_grain_minutes_check;
ALTER TABLE x402_usage_error_rollups ALTER COLUMN grain_minutes TYPE INTEGER; -- 40320 > smallint
ALTER TABLE x402_usage_error_rollups ADD CHECK (grain_minutes IN (15, 60, 1440, 10080, 40320));

-- Adds counter deltas to a run's quarter hour, hour and day.
CREATE FUNCTION add_usage_counters(
  d_template UUID, d_at TIMESTAMPTZ, d_runs BIGINT, d_running BIGINT, d_succeeded BIGINT,
  d_failed BIGINT, d_paid BIGINT, d_input BIGINT, d_output BIGINT, d_revenue BIGINT
) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = public
  AS $$
    INSERT INTO x402_usage_rollups AS r (template_id, grain_minutes, bucket_start, runs, running,
      succeeded, failed, paid_runs, input_tokens, output_tokens, revenue_micro)
    SELECT d_template, g, usage_rollup_bucket(d_at, g), d_runs, d_running, d_succeeded, d_failed,
      d_paid, d_input, d_output, d_revenue
    FROM unnest(ARRAY[15, 60, 1440]) AS g
    ON CONFLICT (template_id, grain_minutes, bucket_start) DO UPDATE SET
      runs = r.runs + EXCLUDED.runs, running = r.running + EXCLUDED.running,
      succeeded = r.succeeded + EXCLUDED.succeeded, failed = r.failed + EXCLUDED.failed,
      paid_runs = r.paid_runs + EXCLUDED.paid_runs,
      input_tokens = r.input_tokens + EXCLUDED.input_tokens,
      output_tokens = r.output_tokens + EXCLUDED.output_tokens,
      revenue_micro = r.revenue_micro + EXCLUDED.revenue_micro
  $$;
REVOKE ALL ON FUNCTION add_usage_counters(UUID, TIMESTAMPTZ, BIGINT, BIGINT, BIGINT, BIGINT, BIGINT, BIGINT, BIGINT, BIGINT) FROM PUBLIC;

CREATE OR REPLACE FUNCTION apply_usage_rollup(
  entry x402_prompt_template_usage_logs, delta INTEGER,
  counters BOOLEAN, latency BOOLEAN, callers BOOLEAN, errors BOOLEAN
) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
DECLARE
  revenue BIGINT := (entry.amount_paid * 1000000)::bigint;
  bin INTEGER;
BEGIN
  IF counters THEN
    PERFORM add_usage_counters(entry.template_id, entry.created_at, delta,
      delta * (entry.status = 'running')::int, delta * (entry.status = 'success')::int,
      delta * (entry.status = 'failed')::int, delta * (entry.amount_paid > 0)::int,
      delta * coalesce(entry.input_tokens, 0), delta * coalesce(entry.output_tokens, 0),
      delta * revenue);
  END IF;
  IF latency AND entry.execution_time_ms IS NOT NULL AND entry.status <> 'running' THEN
    bin := usage_latency_bin(entry.execution_time_ms);
    INSERT INTO x402_usage_latency_histograms AS h (template_id, grain_minutes, bucket_start, counts)
    SELECT entry.template_id, g, usage_rollup_bucket(entry.created_at, g), array_fill(delta, ARRAY[1], ARRAY[bin])
    FROM unnest(ARRAY[15, 60, 1440, 10080, 40320]) AS g
    ON CONFLICT (template_id, grain_minutes, bucket_start) DO UPDATE SET
      counts[bin] = coalesce(h.counts[bin], 0) + delta;
  END IF;
  -- A run with neither a signed-in caller nor a payer (an anonymous free run) has no one to count.
  IF callers AND usage_caller_key(entry) IS NOT NULL THEN
    INSERT INTO x402_usage_caller_rollups AS r (template_id, grain_minutes, bucket_start,
      caller_key, caller_id, payer_address, runs, revenue_micro)
    SELECT entry.template_id, g, usage_rollup_bucket(entry.created_at, g), usage_caller_key(entry),
      entry.caller_id, CASE WHEN entry.caller_id IS NULL THEN lower(entry.payer_address) END,
      delta, delta * revenue
    FROM unnest(ARRAY[15, 60, 1440, 10080, 40320]) AS g
    ON CONFLICT (template_id, grain_minutes, bucket_start, caller_key) DO UPDATE SET
      runs = r.runs + EXCLUDED.runs, revenue_micro = r.revenue_micro + EXCLUDED.revenue_micro;
  END IF;
  IF errors AND entry.status = 'failed' THEN
    INSERT INTO x402_usage_error_rollups AS r (template_id, grain_minutes, bucket_start, message, runs)
    SELECT entry.template_id, g, usage_rollup_bucket(entry.created_at, g), left(entry.error_message, 300), delta
    FROM unnest(ARRAY[15, 60, 1440, 10080, 40320]) AS g
    ON CONFLICT (template_id, grain_minutes, bucket_start, message) DO UPDATE SET runs = r.runs + EXCLUDED.runs;
  END IF;
END
$$;

-- As 007's, except that a run's completion in the quarter hour it started (nearly every one)
-- writes the counters' difference once per grain instead of taking the old share out and
-- putting the new one in.
CREATE OR REPLACE FUNCTION rollup_usage_log() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
DECLARE
  moved BOOLEAN := false;
  latency BOOLEAN := true;
  callers BOOLEAN := true;
  errors BOOLEAN := true;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    moved := usage_rollup_bucket(OLD.created_at, 15) IS DISTINCT FROM usage_rollup_bucket(NEW.created_at, 15)
      OR OLD.template_id IS DISTINCT FROM NEW.template_id;
    latency := moved OR (OLD.status = 'running') IS DISTINCT FROM (NEW.status = 'running')
      OR OLD.execution_time_ms IS DISTINCT FROM NEW.execution_time_ms;
    callers := moved OR usage_caller_key(OLD) IS DISTINCT FROM usage_caller_key(NEW)
      OR OLD.amount_paid IS DISTINCT FROM NEW.amount_paid;
    errors := moved OR (OLD.status = 'failed') IS DISTINCT FROM (NEW.status = 'failed')
      OR OLD.error_message IS DISTINCT FROM NEW.error_message;
    IF NOT moved THEN
      PERFORM add_usage_counters(NEW.template_id, NEW.created_at, 0,
        (NEW.status = 'running')::int - (OLD.status = 'running')::int,
        (NEW.status = 'success')::int - (OLD.status = 'success')::int,
        (NEW.status = 'failed')::int - (OLD.status = 'failed')::int,
        (NEW.amount_paid > 0)::int - (OLD.amount_paid > 0)::int,
        coalesce(NEW.input_tokens, 0) - coalesce(OLD.input_tokens, 0),
        coalesce(NEW.output_tokens, 0) - coalesce(OLD.output_tokens, 0),
        (NEW.amount_paid * 1000000)::bigint - (OLD.amount_paid * 1000000)::bigint);
    END IF;
  END IF;
  IF TG_OP = 'DELETE' OR moved THEN
    PERFORM apply_usage_rollup(OLD, -1, true, latency, callers, errors);
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM apply_usage_rollup(OLD, -1, false, latency, callers, errors);
  END IF;
  IF TG_OP = 'INSERT' OR moved THEN
    PERFORM apply_usage_rollup(NEW, 1, true, latency, callers, errors);
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM apply_usage_rollup(NEW, 1, false, latency, callers, errors);
  END IF;
  RETURN NULL;
END
$$;

-- Every rollup from the log, set-based, in key order (a piece's rows on few pages): this migration's back-fill, and the benchmark's after a
-- bulk load with triggers off (applying each row through the trigger takes minutes per million).
CREATE FUNCTION rebuild_usage_rollups() RETURNS void
  LANGUAGE plpgsql SET search_path = public
  AS $$
BEGIN
  DELETE FROM x402_usage_rollups;
  DELETE FROM x402_usage_latency_histograms;
  DELETE FROM x402_usage_caller_rollups;
  DELETE FROM x402_usage_error_rollups;
  INSERT INTO x402_usage_rollups (template_id, grain_minutes, bucket_start, runs, running,
    succeeded, failed, paid_runs, input_tokens, output_tokens, revenue_micro)
  SELECT template_id, g, usage_rollup_bucket(created_at, g), count(*),
    count(*) FILTER (WHERE status = 'running'), count(*) FILTER (WHERE status = 'success'),
    count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE amount_paid > 0),
    sum(coalesce(input_tokens, 0)), sum(coalesce(output_tokens, 0)),
    sum((amount_paid * 1000000)::bigint)
  FROM x402_prompt_template_usage_logs, unnest(ARRAY[15, 60, 1440]) AS g
  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
  -- Each histogram as '[lo:hi]={…}': its bins from the lowest to the highest used, NULL between.
  WITH per_bin AS (
    SELECT template_id, g, usage_rollup_bucket(created_at, g) AS at,
      usage_latency_bin(execution_time_ms)::int AS bin, count(*)::int AS runs
    FROM x402_prompt_template_usage_logs, unnest(ARRAY[15, 60, 1440, 10080, 40320]) AS g
    WHERE execution_time_ms IS NOT NULL AND status <> 'running'
    GROUP BY 1, 2, 3, 4
  ), span AS (
    SELECT template_id, g, at, min(bin) AS lo, max(bin) AS hi FROM per_bin GROUP BY 1, 2, 3
  )
  INSERT INTO x402_usage_latency_histograms (template_id, grain_minutes, bucket_start, counts)
  SELECT s.template_id, s.g, s.at,
    ('[' || s.lo || ':' || s.hi || ']=' || array_agg(p.runs ORDER BY i)::text)::integer[]
  FROM span s CROSS JOIN generate_series(s.lo, s.hi) AS i
  LEFT JOIN per_bin p ON p.template_id = s.template_id AND p.g = s.g AND p.at = s.at AND p.bin = i
  GROUP BY s.template_id, s.g, s.at, s.lo, s.hi ORDER BY 1, 2, 3;
  INSERT INTO x402_usage_caller_rollups (template_id, grain_minutes, bucket_start, caller_key,
    caller_id, payer_address, runs, revenue_micro)
  SELECT template_id, g, usage_rollup_bucket(created_at, g), usage_caller_key(log),
    min(caller_id::text)::uuid, min(CASE WHEN caller_id IS NULL THEN lower(payer_address) END),
    count(*), sum((amount_paid * 1000000)::bigint)
  FROM x402_prompt_template_usage_logs AS log, unnest(ARRAY[15, 60, 1440, 10080, 40320]) AS g
  WHERE usage_caller_key(log) IS NOT NULL
  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;
  INSERT INTO x402_usage_error_rollups (template_id, grain_minutes, bucket_start, message, runs)
  SELECT template_id, g, usage_rollup_bucket(created_at, g), left(error_message, 300), count(*)
  FROM x402_prompt_template_usage_logs, unnest(ARRAY[15, 60, 1440, 10080, 40320]) AS g
  WHERE status = 'failed'
  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;
END
$$;
REVOKE ALL ON FUNCTION rebuild_usage_rollups() FROM PUBLIC;

SELECT rebuild_usage_rollups();

GRANT SELECT ON x402_usage_latency_histograms TO promptmeter_app;
ALTER TABLE x402_usage_latency_histograms ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Owners read template latency histograms" ON x402_usage_latency_histograms FOR SELECT
  TO promptmeter_app USING (template_id IN (SELECT viewer_template_ids()));
