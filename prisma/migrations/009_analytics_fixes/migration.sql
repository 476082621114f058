-- Two corrections to 007_owner_analytics (which databases have already applied as it was).

-- A run with neither a signed-in caller nor a payer (an anonymous free run) has no caller key:
-- counting it broke the run's write on x402_usage_caller_rollups' NOT NULL key.
CREATE OR REPLACE FUNCTION apply_usage_rollup(
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
  -- A run with neither a signed-in caller nor a payer (an anonymous free run) has no one to count.
  IF callers AND usage_caller_key(entry) IS NOT NULL THEN
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

-- A field of an export line as one expression with no FROM, so that PostgreSQL inlines it into
-- the export's query: the function with a subquery was called per value, about 7 times slower.
CREATE OR REPLACE FUNCTION csv_field(value TEXT) RETURNS TEXT
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  -- One expression, no FROM: PostgreSQL inlines it into the export's query (a function with a
  -- subquery is called per value, about 7 times slower).
  AS $$
    SELECT CASE
      WHEN value IS NULL THEN ''
      WHEN value ~ E'[",\r\n]'
        THEN '"' || CASE WHEN value ~ E'^[=+@\t\r-]' THEN '''' ELSE '' END || replace(value, '"', '""') || '"'
      WHEN value ~ E'^[=+@\t\r-]' THEN '''' || value
      ELSE value
    END
  $$;
