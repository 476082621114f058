-- 004_run_recovery: what lets a run be recovered after a crash without touching a live one, and
-- a reservation be reconciled without its run (docs: README "Failure behaviour"). Applied once by
-- server/src/db/migrate.ts; never edit once landed.

-- One row per server process (a new id each start). An instance renews its lease while it lives;
-- the runs of an instance whose lease has run out are certainly dead and may be swept.
CREATE TABLE x402_server_instances (
  id            UUID PRIMARY KEY,
  hostname      TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  started_at    TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  -- Renewed every few seconds; past it, the instance is gone.
  lease_until   TIMESTAMPTZ(3) NOT NULL,
  -- Set by a graceful shutdown, after its runs were written.
  stopped_at    TIMESTAMPTZ(3)
);
GRANT SELECT, INSERT, UPDATE ON x402_server_instances TO promptmeter_backend;
ALTER TABLE x402_server_instances ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Backend reads instances" ON x402_server_instances FOR SELECT
  TO promptmeter_backend USING (true);
CREATE POLICY "Backend registers instances" ON x402_server_instances FOR INSERT
  TO promptmeter_backend WITH CHECK (true);
CREATE POLICY "Backend renews instances" ON x402_server_instances FOR UPDATE
  TO promptmeter_backend USING (true) WITH CHECK (true);

-- The instance running the row's run (NULL: written before this migration, swept by age).
ALTER TABLE x402_prompt_template_usage_logs ADD COLUMN instance_id UUID;
CREATE INDEX idx_ptul_running_instance ON x402_prompt_template_usage_logs (instance_id)
  WHERE status = 'running';

-- What reconciliation needs to complete a paid run's row from its reservation alone: the
-- signature the payer signed (the row's payment_signature) and when the authorization expires
-- (past it, an unused authorization can never be settled). NULL on reservations written before.
ALTER TABLE x402_payment_reservations ADD COLUMN signature TEXT;
ALTER TABLE x402_payment_reservations ADD COLUMN valid_before TIMESTAMPTZ(3);
CREATE INDEX idx_payment_reservations_open ON x402_payment_reservations (state, updated_at)
  WHERE state IN ('reserved', 'settling', 'settle_unknown');
