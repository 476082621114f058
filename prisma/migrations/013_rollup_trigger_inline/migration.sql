-- 013_rollup_trigger_inline: the execution log's rollup trigger (007, 009, 010) in one plpgsql
-- function, for the run's two writes (bench/analysis.md "Run overhead"). Applied once by
-- server/src/db/migrate.ts; never edit once landed.
--
-- Same rollups, same keys, same arithmetic as 010: only how they are reached changes. Before, a
-- log write called apply_usage_rollup (plpgsql) for each side of the change, and it called
-- add_usage_counters, a SQL function whose INSERT PostgreSQL parses and plans again on every call
-- (a non-inlined SQL function's plan lives for one call of the calling query; plpgsql keeps its
-- statements' plans for the session); each call also swapped search_path in and out (SECURITY
-- DEFINER … SET). Now every statement is the trigger's own (planned once per connection), a side
-- with nothing else to write is left after its counters (the old share of a `running` row has no
-- execution time, caller change or error), and the caller key is computed once per side.
--
-- apply_usage_rollup and add_usage_counters stay as they are (nothing calls them any more but a
-- rebuild by hand); rebuild_usage_rollups is unchanged.

CREATE OR REPLACE FUNCTION rollup_usage_log() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
DECLARE
  moved BOOLEAN := false;
  latency BOOLEAN := true;
  callers BOOLEAN := true;
  errors BOOLEAN := true;
  -- Counters per side for an insert, a delete, or a move between buckets. Otherwise (nearly every
  -- completion: same quarter hour) the two sides' shares are summed and written once, by side 2.
  counters_each_side BOOLEAN := true;
  entry x402_prompt_template_usage_logs;
  delta INTEGER;
  revenue BIGINT;
  caller TEXT;
  bin INTEGER;
  -- The counters' deltas to write.
  c_runs BIGINT := 0;
  c_running BIGINT := 0;
  c_succeeded BIGINT := 0;
  c_failed BIGINT := 0;
  c_paid BIGINT := 0;
  c_input BIGINT := 0;
  c_output BIGINT := 0;
  c_revenue BIGINT := 0;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    moved := usage_rollup_bucket(OLD.created_at, 15) IS DISTINCT FROM usage_rollup_bucket(NEW.created_at, 15)
      OR OLD.template_id IS DISTINCT FROM NEW.template_id;
    latency := moved OR (OLD.status = 'running') IS DISTINCT FROM (NEW.status = 'running')
      OR OLD.execution_time_ms IS DISTINCT FROM NEW.execution_time_ms;
    callers := moved OR coalesce(OLD.caller_id::text, 'payer:' || lower(OLD.payer_address))
        IS DISTINCT FROM coalesce(NEW.caller_id::text, 'payer:' || lower(NEW.payer_address))
      OR OLD.amount_paid IS DISTINCT FROM NEW.amount_paid;
    errors := moved OR (OLD.status = 'failed') IS DISTINCT FROM (NEW.status = 'failed')
      OR OLD.error_message IS DISTINCT FROM NEW.error_message;
    counters_each_side := moved;
  END IF;

  -- Side 1 takes the old row's share out (UPDATE, DELETE); side 2 puts the new row's in (INSERT,
  -- UPDATE). Each side is apply_usage_rollup (010) written out.
  FOR side IN 1..2 LOOP
    IF side = 1 THEN
      CONTINUE WHEN TG_OP = 'INSERT';
      entry := OLD;
      delta := -1;
    ELSE
      CONTINUE WHEN TG_OP = 'DELETE';
      entry := NEW;
      delta := 1;
    END IF;
    revenue := (entry.amount_paid * 1000000)::bigint;
    IF counters_each_side THEN
      c_runs := 0; c_running := 0; c_succeeded := 0; c_failed := 0;
      c_paid := 0; c_input := 0; c_output := 0; c_revenue := 0;
    END IF;
    c_runs := c_runs + delta;
    c_running := c_running + delta * (entry.status = 'running')::int;
    c_succeeded := c_succeeded + delta * (entry.status = 'success')::int;
    c_failed := c_failed + delta * (entry.status = 'failed')::int;
    c_paid := c_paid + delta * (entry.amount_paid > 0)::int;
    c_input := c_input + delta * coalesce(entry.input_tokens, 0);
    c_output := c_output + delta * coalesce(entry.output_tokens, 0);
    c_revenue := c_revenue + delta * revenue;
    IF counters_each_side OR side = 2 THEN
      INSERT INTO x402_usage_rollups AS r (template_id, grain_minutes, bucket_start, runs, running,
        succeeded, failed, paid_runs, input_tokens, output_tokens, revenue_micro)
      SELECT entry.template_id, g, usage_rollup_bucket(entry.created_at, g), c_runs, c_running,
        c_succeeded, c_failed, c_paid, c_input, c_output, c_revenue
      FROM unnest(ARRAY[15, 60, 1440]) AS g
      ON CONFLICT (template_id, grain_minutes, bucket_start) DO UPDATE SET
        runs = r.runs + EXCLUDED.runs, running = r.running + EXCLUDED.running,
        succeeded = r.succeeded + EXCLUDED.succeeded, failed = r.failed + EXCLUDED.failed,
        paid_runs = r.paid_runs + EXCLUDED.paid_runs,
        input_tokens = r.input_tokens + EXCLUDED.input_tokens,
        output_tokens = r.output_tokens + EXCLUDED.output_tokens,
        revenue_micro = r.revenue_micro + EXCLUDED.revenue_micro;
    END IF;

    caller := coalesce(entry.caller_id::text, 'payer:' || lower(entry.payer_address));
    IF latency AND entry.execution_time_ms IS NOT NULL AND entry.status <> 'running' THEN
      bin := usage_latency_bin(entry.execution_time_ms);
      INSERT INTO x402_usage_latency_histograms AS h (template_id, grain_minutes, bucket_start, counts)
      SELECT entry.template_id, g, usage_rollup_bucket(entry.created_at, g), array_fill(delta, ARRAY[1], ARRAY[bin])
      FROM unnest(ARRAY[15, 60, 1440, 10080, 40320]) AS g
      ON CONFLICT (template_id, grain_minutes, bucket_start) DO UPDATE SET
        counts[bin] = coalesce(h.counts[bin], 0) + delta;
    END IF;
    -- A run with neither a signed-in caller nor a payer (an anonymous free run) has no one to count.
    IF callers AND caller IS NOT NULL THEN
      INSERT INTO x402_usage_caller_rollups AS r (template_id, grain_minutes, bucket_start,
        caller_key, caller_id, payer_address, runs, revenue_micro)
      SELECT entry.template_id, g, usage_rollup_bucket(entry.created_at, g), caller,
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
  END LOOP;
  RETURN NULL;
END
$$;
