-- 002_payment_reservations: x402 payments are claimed before any paid work, and a paid run
-- records its settlement transaction. Applied once by server/src/db/migrate.ts; never edit once
-- landed.

-- One row per EIP-3009 authorization a run was started with (docs/payments.md, "Reservations").
-- The unique key is what the token contract itself uses to refuse a replay: the authorizer's
-- nonce, per token and chain. Not the signature string: one authorization has several valid
-- encodings (hex case, the high-s twin). Addresses and the nonce are stored lower-case, which
-- the CHECKs enforce, so the key cannot be dodged by changing case.
--
-- state: reserved        claimed by a run that has not finished yet
--        released        the run failed before settlement; the payer was not charged, and the
--                        same signed authorization may start one new run (it was never settled)
--        settling        the facilitator was asked to settle; never asked again
--        settled         settled: settlement_transaction holds the transaction
--        settle_failed   the facilitator refused and broadcast nothing; the payer was not charged
--        settle_unknown  no clear answer (timeout, error, or a broadcast transaction without a
--                        receipt): reconcile against the chain, never settle again
CREATE TABLE x402_payment_reservations (
  id                     UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  network                TEXT NOT NULL CHECK (network ~ '^eip155:[0-9]+$'),
  asset                  TEXT NOT NULL CHECK (asset ~ '^0x[0-9a-f]{40}$'),
  payer                  TEXT NOT NULL CHECK (payer ~ '^0x[0-9a-f]{40}$'),
  nonce                  TEXT NOT NULL CHECK (nonce ~ '^0x[0-9a-f]{64}$'),
  pay_to                 TEXT NOT NULL CHECK (pay_to ~ '^0x[0-9a-f]{40}$'),
  -- In the token's smallest unit, exactly as authorized.
  amount                 NUMERIC(78, 0) NOT NULL CHECK (amount > 0),
  state                  TEXT NOT NULL CHECK (state IN
                           ('reserved', 'released', 'settling', 'settled', 'settle_failed', 'settle_unknown')),
  -- The run holding the reservation. No foreign key: the reservation is written before the run's
  -- row (a refused payment leaves no row), and a payment record must outlive a deleted template.
  usage_log_id           UUID NOT NULL,
  -- Runs started with this authorization: more than 1 only after released reservations.
  attempts               INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  settlement_transaction TEXT,
  error                  TEXT,
  created_at             TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  updated_at             TIMESTAMPTZ(3) NOT NULL DEFAULT now(),

  CONSTRAINT uq_payment_reservation UNIQUE (network, asset, payer, nonce),
  CONSTRAINT ck_payment_settled_has_transaction
    CHECK (state <> 'settled' OR settlement_transaction IS NOT NULL)
);
CREATE INDEX idx_payment_reservations_usage_log_id ON x402_payment_reservations (usage_log_id);

-- Only the backend (the run pipeline) touches reservations; the request role has no access.
GRANT SELECT, INSERT, UPDATE ON x402_payment_reservations TO promptmeter_backend;
ALTER TABLE x402_payment_reservations ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Backend reads payment reservations" ON x402_payment_reservations FOR SELECT
  TO promptmeter_backend USING (true);
CREATE POLICY "Backend reserves payments" ON x402_payment_reservations FOR INSERT
  TO promptmeter_backend WITH CHECK (true);
CREATE POLICY "Backend moves payment reservations" ON x402_payment_reservations FOR UPDATE
  TO promptmeter_backend USING (true) WITH CHECK (true);

-- A paid run records both what the payer signed (payment_signature, the EIP-3009 signature) and
-- how it was settled (payment_transaction, the transaction hash, or "simulated:…" offline).
ALTER TABLE x402_prompt_template_usage_logs ADD COLUMN payment_transaction TEXT;
-- Money is only ever taken for a successful run, and then the payment is on record in full.
ALTER TABLE x402_prompt_template_usage_logs ADD CONSTRAINT ck_ptul_paid_run_is_recorded CHECK (
  amount_paid = 0 OR (
    status = 'success' AND payment_signature IS NOT NULL AND payment_transaction IS NOT NULL
    AND network IS NOT NULL AND payer_address IS NOT NULL
  )
);
