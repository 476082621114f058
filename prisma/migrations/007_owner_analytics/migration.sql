-- 007_owner_analytics: rollups of the execution log that answer an owner's analytics for any range
-- without reading the raw rows (README "Analytics"), kept by triggers in the same transaction as
-- each log write, and the index of an owner's run log. Applied once by server/src/db/migrate.ts;
-- never edit once landed.
--
-- Grain: 15 minutes in UTC. Every IANA zone's offset since 1972 is a whole number of quarter
-- hours (Asia/Kolkata +05:30, Asia/Kathmandu +05:45, Australia/Eucla +08:45), so every local hour
-- and day boundary falls on a quarter hour in UTC and a bucket in the viewer's zone is an exact sum
-- of 15-minute rollups. The API refuses a zone/range where that does not hold. A run counts in the
-- quarter hour of its start (created_at), like the run log's order.
--
-- Sets and distributions are not sums of counters: execution-time histograms, callers and errors
-- are also kept per UTC hour (histograms) and per UTC day, so a 30-day range reads ~30 day rows
-- plus the quarter hours and hours at its edges.
--
-- Execution-time percentiles come from a log histogram: bin k holds ms with
-- 1.02^k <= ms + 1 < 1.02^(k+1); a percentile is reported as its bin's geometric middle, so it is
-- within sqrt(1.02) - 1 < 1% of (the exact nearest-rank percentile + 1 ms), plus 0.5 ms rounding.

CREATE FUNCTION usage_rollup_bucket(at TIMESTAMPTZ, grain_minutes INTEGER) RETURNS TIMESTAMPTZ
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT to_timestamp(floor(extract(epoch FROM at) / (grain_minutes * 60)) * (grain_minutes * 60)) $$;

CREATE FUNCTION usage_latency_bin(ms INTEGER) RETURNS SMALLINT
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT floor(ln(ms + 1) / ln(1.02))::smallint $$;

-- Counters per template per quarter hour: additive, so any range of buckets sums them.
CREATE TABLE x402_usage_rollups (
  template_id   UUID NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
  bucket_start  TIMESTAMPTZ NOT NULL,
  runs          BIGINT NOT NULL DEFAULT 0,
  running       BIGINT NOT NULL DEFAULT 0,
  succeeded     BIGINT NOT NULL DEFAULT 0,
  failed        BIGINT NOT NULL DEFAULT 0,
  paid_runs     BIGINT NOT NULL DEFAULT 0,
  input_tokens  BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  -- amount_paid in micro-USDC: integers, so sums are exact.
  revenue_micro BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (template_id, bucket_start)
);

-- Finished runs' execution times per (grain, bucket, histogram bin).
CREATE TABLE x402_usage_latency_rollups (
  template_id   UUID NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
  grain_minutes SMALLINT NOT NULL CHECK (grain_minutes IN (15, 60, 1440)),
  bucket_start  TIMESTAMPTZ NOT NULL,
  bin           SMALLINT NOT NULL,
  runs          BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (template_id, grain_minutes, bucket_start, bin)
);

-- Runs and revenue per caller: a signed-in caller's id, else the anonymous payer's address.
CREATE TABLE x402_usage_caller_rollups (
  template_id   UUID NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
  grain_minutes SMALLINT NOT NULL CHECK (grain_minutes IN (15, 1440)),
  bucket_start  TIMESTAMPTZ NOT NULL,
  -- caller_id as text, or 'payer:' || lower(payer_address) for an anonymous payer.
  caller_key    TEXT NOT NULL,
  caller_id     UUID,
  payer_address TEXT,
  runs          BIGINT NOT NULL DEFAULT 0,
  revenue_micro BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (template_id, grain_minutes, bucket_start, caller_key)
);

-- Failed runs per error message (its first 300 characters: an index key has a size limit).
CREATE TABLE x402_usage_error_rollups (
  template_id   UUID NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
  grain_minutes SMALLINT NOT NULL CHECK (grain_minutes IN (15, 1440)),
  bucket_start  TIMESTAMPTZ NOT NULL,
  message       TEXT NOT NULL,
  runs          BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (template_id, grain_minutes, bucket_start, message)
);

CREATE FUNCTION usage_caller_key(entry x402_prompt_template_usage_logs) RETURNS TEXT
  LANGUAGE sql IMMUTABLE
  AS $$ SELECT coalesce(entry.caller_id::text, 'payer:' || lower(entry.payer_address)) $$;

-- Adds (delta 1) or removes (delta -1) one row's share of the rollups; the flags say which tables.
CREATE FUNCTION apply_usage_rollup(
  entry x402_prompt_template_usage_logs, delta INTEGER,
  counters BOOLEAN, latency BOOLEAN, callers BOOLEAN, errors BOOLEAN
) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
DECLARE
  revenue BIGINT := (entry.amount_paid * 1000000)::bigint;
BEGIN
  IF counters THEN
    INSERT INTO x402_usage_rollups AS r (template_id, bucket_start, runs, running, succeeded,
      failed, paid_runs, input_tokens, output_tokens, revenue_micro)
    VALUES (entry.template_id, usage_rollup_bucket(entry.created_at, 15), delta,
      delta * (entry.status = 'running')::int, delta * (entry.status = 'success')::int,
      delta * (entry.status = 'failed')::int, delta * (entry.amount_paid > 0)::int,
      delta * coalesce(entry.input_tokens, 0), delta * coalesce(entry.output_tokens, 0), delta * revenue)
    ON CONFLICT (template_id, bucket_start) DO UPDATE SET
      runs = r.runs + EXCLUDED.runs, running = r.running + EXCLUDED.running,
      succeeded = r.succeeded + EXCLUDED.succeeded, failed = r.failed + EXCLUDED.failed,
      paid_runs = r.paid_runs + EXCLUDED.paid_runs,
      input_tokens = r.input_tokens + EXCLUDED.input_tokens,
      output_tokens = r.output_tokens + EXCLUDED.output_tokens,
      revenue_micro = r.revenue_micro + EXCLUDED.revenue_micro;
  END IF;
  IF latency AND entry.execution_time_ms IS NOT NULL AND entry.status <> 'running' THEN
    INSERT INTO x402_usage_latency_rollups AS r (template_id, grain_minutes, bucket_start, bin, runs)
    SELECT entry.template_id, g, usage_rollup_bucket(entry.created_at, g),
      usage_latency_bin(entry.execution_time_ms), delta
    FROM unnest(ARRAY[15, 60, 1440]) AS g
    ON CONFLICT (template_id, grain_minutes, bucket_start, bin) DO UPDATE SET runs = r.runs + EXCLUDED.runs;
  END IF;
  IF callers THEN
    INSERT INTO x402_usage_caller_rollups AS r (template_id, grain_minutes, bucket_start,
      caller_key, caller_id, payer_address, runs, revenue_micro)
    SELECT entry.template_id, g, usage_rollup_bucket(entry.created_at, g), usage_caller_key(entry),
      entry.caller_id, CASE WHEN entry.caller_id IS NULL THEN lower(entry.payer_address) END,
      delta, delta * revenue
    FROM unnest(ARRAY[15, 1440]) AS g
    ON CONFLICT (template_id, grain_minutes, bucket_start, caller_key) DO UPDATE SET
      runs = r.runs + EXCLUDED.runs, revenue_micro = r.revenue_micro + EXCLUDED.revenue_micro;
  END IF;
  IF errors AND entry.status = 'failed' THEN
    INSERT INTO x402_usage_error_rollups AS r (template_id, grain_minutes, bucket_start, message, runs)
    SELECT entry.template_id, g, usage_rollup_bucket(entry.created_at, g), left(entry.error_message, 300), delta
    FROM unnest(ARRAY[15, 1440]) AS g
    ON CONFLICT (template_id, grain_minutes, bucket_start, message) DO UPDATE SET runs = r.runs + EXCLUDED.runs;
  END IF;
END
$$;
REVOKE ALL ON FUNCTION apply_usage_rollup(x402_prompt_template_usage_logs, INTEGER, BOOLEAN, BOOLEAN, BOOLEAN, BOOLEAN) FROM PUBLIC;

-- A run is inserted running and updated to its final state; recovery may overwrite a final state
-- once more (an "interrupted" sweep replaced by the journaled result). An update takes the old
-- row's share out and puts the new one's in, for each table whose share changed, so the rollups
-- equal the rows whatever the sequence of writes.
CREATE FUNCTION rollup_usage_log() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
DECLARE
  moved BOOLEAN;
  latency BOOLEAN := true;
  callers BOOLEAN := true;
  errors BOOLEAN := true;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    moved := usage_rollup_bucket(OLD.created_at, 15) IS DISTINCT FROM usage_rollup_bucket(NEW.created_at, 15);
    latency := moved OR (OLD.status = 'running') IS DISTINCT FROM (NEW.status = 'running')
      OR OLD.execution_time_ms IS DISTINCT FROM NEW.execution_time_ms;
    callers := moved OR usage_caller_key(OLD) IS DISTINCT FROM usage_caller_key(NEW)
      OR OLD.amount_paid IS DISTINCT FROM NEW.amount_paid;
    errors := moved OR (OLD.status = 'failed') IS DISTINCT FROM (NEW.status = 'failed')
      OR OLD.error_message IS DISTINCT FROM NEW.error_message;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM apply_usage_rollup(OLD, -1, true, latency, callers, errors);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM apply_usage_rollup(NEW, 1, true, latency, callers, errors);
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION rollup_usage_log() FROM PUBLIC;

CREATE TRIGGER trg_rollup_usage_log AFTER INSERT OR UPDATE OR DELETE ON x402_prompt_template_usage_logs
  FOR EACH ROW EXECUTE FUNCTION rollup_usage_log();

-- Rows written before this migration.
SELECT apply_usage_rollup(log, 1, true, true, true, true) FROM x402_prompt_template_usage_logs AS log;

-- An owner's run log (every caller), newest first: keyset pages and exports of one template.
CREATE INDEX idx_ptul_template_created
  ON x402_prompt_template_usage_logs (template_id, created_at DESC, id DESC);

-- Rollups count everyone's runs: only the template's owners read them (as they read its rows).
GRANT SELECT ON x402_usage_rollups, x402_usage_latency_rollups, x402_usage_caller_rollups,
  x402_usage_error_rollups TO promptmeter_app;
GRANT EXECUTE ON FUNCTION usage_rollup_bucket(TIMESTAMPTZ, INTEGER) TO promptmeter_app;
ALTER TABLE x402_usage_rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE x402_usage_latency_rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE x402_usage_caller_rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE x402_usage_error_rollups ENABLE ROW LEVEL SECURITY;

-- The viewer's templates, as one uncorrelated set: evaluated once per statement, not per entry.
CREATE FUNCTION viewer_template_ids() RETURNS SETOF UUID
  LANGUAGE sql STABLE
  AS $$
    SELECT t.id FROM templates t JOIN servers s ON s.id = t.server_id
    WHERE s.registered_by = (SELECT app_user_id()) OR s.verified_owner_id = (SELECT app_user_id())
  $$;
GRANT EXECUTE ON FUNCTION viewer_template_ids() TO promptmeter_app;

CREATE POLICY "Owners read template rollups" ON x402_usage_rollups FOR SELECT
  TO promptmeter_app USING (template_id IN (SELECT viewer_template_ids()));
CREATE POLICY "Owners read template latency rollups" ON x402_usage_latency_rollups FOR SELECT
  TO promptmeter_app USING (template_id IN (SELECT viewer_template_ids()));
CREATE POLICY "Owners read template caller rollups" ON x402_usage_caller_rollups FOR SELECT
  TO promptmeter_app USING (template_id IN (SELECT viewer_template_ids()));
CREATE POLICY "Owners read template error rollups" ON x402_usage_error_rollups FOR SELECT
  TO promptmeter_app USING (template_id IN (SELECT viewer_template_ids()));

-- One RFC 4180 CSV field of an export (README "Export"), written by the database so that a row
-- leaves it as one ready line: text a spreadsheet would run as a formula (= + - @ tab CR first)
-- gets a leading apostrophe; a field holding a quote, comma, CR or LF is quoted, quotes doubled.
CREATE FUNCTION csv_field(value TEXT) RETURNS TEXT
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT CASE
      WHEN value IS NULL THEN ''
      WHEN safe ~ E'[",\r\n]' THEN '"' || replace(safe, '"', '""') || '"'
      ELSE safe
    END
    FROM (SELECT CASE WHEN value ~ E'^[=+@\t\r-]' THEN '''' || value ELSE value END AS safe) AS s
  $$;
GRANT EXECUTE ON FUNCTION csv_field(TEXT) TO promptmeter_app;
