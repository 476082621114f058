-- 003_usage_log_counts: the exact number of runs per (template, caller), kept by a trigger in the
-- same transaction as the log insert, so the totalCount of a caller's history reads one row
-- instead of counting up to millions. Applied once by server/src/db/migrate.ts; never edit once
-- landed.

CREATE TABLE x402_usage_log_counts (
  template_id UUID NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
  caller_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  runs        BIGINT NOT NULL CHECK (runs >= 0),
  PRIMARY KEY (template_id, caller_id)
);

-- SECURITY DEFINER: the counter is the table owner's bookkeeping, not something the roles that
-- write logs may touch themselves. A trigger function cannot be called directly.
CREATE FUNCTION count_usage_log_runs() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO x402_usage_log_counts AS c (template_id, caller_id, runs)
    VALUES (NEW.template_id, NEW.caller_id, 1)
    ON CONFLICT (template_id, caller_id) DO UPDATE SET runs = c.runs + 1;
  ELSE
    UPDATE x402_usage_log_counts SET runs = runs - 1
    WHERE template_id = OLD.template_id AND caller_id = OLD.caller_id;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION count_usage_log_runs() FROM PUBLIC;

-- Anonymous payers' runs (caller_id NULL) appear in nobody's history, so they are not counted.
CREATE TRIGGER trg_count_usage_log_insert AFTER INSERT ON x402_prompt_template_usage_logs
  FOR EACH ROW WHEN (NEW.caller_id IS NOT NULL) EXECUTE FUNCTION count_usage_log_runs();
CREATE TRIGGER trg_count_usage_log_delete AFTER DELETE ON x402_prompt_template_usage_logs
  FOR EACH ROW WHEN (OLD.caller_id IS NOT NULL) EXECUTE FUNCTION count_usage_log_runs();
-- A run never changes template or caller: refuse it rather than let the counts drift.
CREATE FUNCTION refuse_usage_log_reassignment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a usage log row keeps its template and caller';
END
$$;
CREATE TRIGGER trg_usage_log_keeps_owner BEFORE UPDATE OF template_id, caller_id
  ON x402_prompt_template_usage_logs
  FOR EACH ROW WHEN (NEW.template_id IS DISTINCT FROM OLD.template_id
                     OR NEW.caller_id IS DISTINCT FROM OLD.caller_id)
  EXECUTE FUNCTION refuse_usage_log_reassignment();

INSERT INTO x402_usage_log_counts (template_id, caller_id, runs)
SELECT template_id, caller_id, count(*)
FROM x402_prompt_template_usage_logs
WHERE caller_id IS NOT NULL
GROUP BY template_id, caller_id;

-- A caller reads their own counts, like their own rows.
GRANT SELECT ON x402_usage_log_counts TO promptmeter_app;
ALTER TABLE x402_usage_log_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can read own run counts" ON x402_usage_log_counts FOR SELECT
  TO promptmeter_app USING (caller_id = (SELECT app_user_id()));
