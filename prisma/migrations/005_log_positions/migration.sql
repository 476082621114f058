-- 005_log_positions: every change of an execution-log row (its start, its final state, a sweep,
-- a reconciliation) is stamped with the id of the transaction that made it, so live history can
-- resume from a position (README "Live updates", executionLogged's `after`). Applied once by
-- server/src/db/migrate.ts; never edit once landed.
--
-- Why a transaction id and not a sequence: two changes may commit in the opposite order to the one
-- in which they were stamped, so "everything after the last position I saw" over a sequence can
-- skip a change that commits late. Readers deliver only changes whose transaction is older than
-- the oldest one still running (pg_snapshot_xmin of their snapshot): those are all committed (or
-- rolled back), and any change not yet visible will carry a larger id than anything delivered.

ALTER TABLE x402_prompt_template_usage_logs ADD COLUMN log_xid BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION stamp_usage_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.log_xid := pg_current_xact_id()::text::bigint;
  RETURN NEW;
END
$$;
CREATE TRIGGER trg_stamp_usage_log_change BEFORE INSERT OR UPDATE ON x402_prompt_template_usage_logs
  FOR EACH ROW EXECUTE FUNCTION stamp_usage_log_change();

-- A template's changes in position order, for catching up.
CREATE INDEX idx_ptul_template_change ON x402_prompt_template_usage_logs (template_id, log_xid, id);
