-- 001_init: users, servers, templates and the usage log, with the roles and row-level security
-- that decide who sees what. Applied once by server/src/db/migrate.ts; never edit once landed.

-- Roles are cluster-wide on PostgreSQL: create them only when missing (needs CREATEROLE once;
-- see README "Running on a real PostgreSQL").
--   promptmeter_app      serves GraphQL requests as the viewer; subject to RLS, cannot bypass it.
--   promptmeter_backend  the run pipeline's writer: the only role allowed to write usage logs.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'promptmeter_app') THEN
    CREATE ROLE promptmeter_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'promptmeter_backend') THEN
    CREATE ROLE promptmeter_backend NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;

-- The connecting (migrating) role switches to these with SET LOCAL ROLE. An admin may have
-- granted this already (README "one-time role bootstrap"); granting again would need ADMIN.
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'promptmeter_app', 'MEMBER') THEN
    EXECUTE format('GRANT promptmeter_app TO %I', current_user);
  END IF;
  IF NOT pg_has_role(current_user, 'promptmeter_backend', 'MEMBER') THEN
    EXECUTE format('GRANT promptmeter_backend TO %I', current_user);
  END IF;
END
$$;

-- The viewer of the current transaction, set with set_config('app.user_id', $1, true).
-- After any transaction set it, current_setting returns '' rather than NULL: hence NULLIF.
CREATE FUNCTION app_user_id() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;

CREATE TABLE users (
  id         UUID PRIMARY KEY,
  name       TEXT CHECK (char_length(name) BETWEEN 1 AND 100),
  created_at TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);

CREATE TABLE servers (
  id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name              TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  registered_by     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  verified_owner_id UUID REFERENCES users (id) ON DELETE SET NULL,
  created_at        TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX idx_servers_registered_by ON servers (registered_by);
CREATE INDEX idx_servers_verified_owner_id ON servers (verified_owner_id);

CREATE TABLE templates (
  id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  server_id   UUID NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
  name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  description TEXT NOT NULL CHECK (char_length(description) <= 5000),
  prompt      TEXT NOT NULL CHECK (char_length(prompt) BETWEEN 1 AND 100000),
  variables   JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(variables) = 'array'),
  model       TEXT NOT NULL CHECK (char_length(model) BETWEEN 1 AND 100),
  max_tokens  INTEGER NOT NULL CHECK (max_tokens BETWEEN 1 AND 64000),
  price_usdc  NUMERIC(10, 6) NOT NULL CHECK (price_usdc >= 0),
  pay_to      TEXT NOT NULL CHECK (pay_to ~ '^0x[0-9a-fA-F]{40}$'),
  network     TEXT NOT NULL CHECK (network ~ '^eip155:[0-9]+$'),
  created_at  TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX idx_templates_server_id ON templates (server_id);
CREATE INDEX idx_templates_created_at_id ON templates (created_at DESC, id DESC);

CREATE TABLE x402_prompt_template_usage_logs (
  id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  template_id       UUID NOT NULL,
  -- NULL for anonymous wallet payers, who are identified by payer_address instead.
  caller_id         UUID,
  payer_address     TEXT,

  -- Written as 'running' when the run starts and completed when it ends, so a crash loses nothing.
  status            TEXT NOT NULL CHECK (status IN ('running', 'success', 'failed')),
  error_message     TEXT,

  input_tokens      INTEGER CHECK (input_tokens >= 0),
  output_tokens     INTEGER CHECK (output_tokens >= 0),

  amount_paid       NUMERIC(10, 6) NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
  payment_signature TEXT,
  network           TEXT,

  created_at        TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  execution_time_ms INTEGER CHECK (execution_time_ms >= 0),
  completed_at      TIMESTAMPTZ(3),

  CONSTRAINT fk_template FOREIGN KEY (template_id) REFERENCES templates (id) ON DELETE CASCADE,
  CONSTRAINT fk_caller FOREIGN KEY (caller_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT ck_ptul_final_state CHECK ((status = 'running') = (completed_at IS NULL)),
  CONSTRAINT ck_ptul_failed_has_error CHECK (status <> 'failed' OR error_message IS NOT NULL),
  CONSTRAINT ck_ptul_someone_ran_it CHECK (caller_id IS NOT NULL OR payer_address IS NOT NULL)
);

CREATE INDEX idx_ptul_template_id ON x402_prompt_template_usage_logs (template_id);
CREATE INDEX idx_ptul_caller_id ON x402_prompt_template_usage_logs (caller_id);
CREATE INDEX idx_ptul_created_at ON x402_prompt_template_usage_logs (created_at DESC);
-- Also the keyset-pagination index of a caller's history, newest first.
CREATE INDEX idx_ptul_template_caller
  ON x402_prompt_template_usage_logs (template_id, caller_id, created_at DESC, id DESC);
-- Finds runs interrupted by a crash without scanning finished ones.
CREATE INDEX idx_ptul_running ON x402_prompt_template_usage_logs (created_at)
  WHERE status = 'running';

-- Privileges: requests read; only the backend writes logs and users. Nobody but the owner deletes.
GRANT USAGE ON SCHEMA public TO promptmeter_app, promptmeter_backend;
GRANT EXECUTE ON FUNCTION app_user_id() TO promptmeter_app, promptmeter_backend;
GRANT SELECT ON users, servers, templates, x402_prompt_template_usage_logs TO promptmeter_app;
GRANT INSERT ON servers, templates TO promptmeter_app;
GRANT SELECT, INSERT, UPDATE ON users, x402_prompt_template_usage_logs TO promptmeter_backend;
GRANT SELECT ON servers, templates TO promptmeter_backend;

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE servers ENABLE ROW LEVEL SECURITY;
ALTER TABLE templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE x402_prompt_template_usage_logs ENABLE ROW LEVEL SECURITY;

-- The catalogue is public: anyone may read users' names, servers and templates.
CREATE POLICY "Anyone can read users" ON users FOR SELECT
  TO promptmeter_app, promptmeter_backend USING (true);
CREATE POLICY "Backend manages users" ON users FOR INSERT TO promptmeter_backend WITH CHECK (true);
CREATE POLICY "Backend updates users" ON users FOR UPDATE TO promptmeter_backend USING (true);

CREATE POLICY "Anyone can read servers" ON servers FOR SELECT
  TO promptmeter_app, promptmeter_backend USING (true);
CREATE POLICY "Users register their own servers" ON servers FOR INSERT TO promptmeter_app
  WITH CHECK (registered_by = (SELECT app_user_id()));

CREATE POLICY "Anyone can read templates" ON templates FOR SELECT
  TO promptmeter_app, promptmeter_backend USING (true);
CREATE POLICY "Owners publish templates on their servers" ON templates FOR INSERT TO promptmeter_app
  WITH CHECK (EXISTS (
    SELECT 1 FROM servers s
    WHERE s.id = server_id
      AND (s.registered_by = (SELECT app_user_id()) OR s.verified_owner_id = (SELECT app_user_id()))
  ));

-- The plan's three usage-log policies.
CREATE POLICY "Users can read own usage logs" ON x402_prompt_template_usage_logs FOR SELECT
  TO promptmeter_app
  USING (caller_id = (SELECT app_user_id()));

CREATE POLICY "Owners can read template usage logs" ON x402_prompt_template_usage_logs FOR SELECT
  TO promptmeter_app
  USING (EXISTS (
    SELECT 1 FROM templates t
    JOIN servers s ON s.id = t.server_id
    WHERE t.id = template_id
      AND (s.registered_by = (SELECT app_user_id()) OR s.verified_owner_id = (SELECT app_user_id()))
  ));

CREATE POLICY "Backend writes usage logs" ON x402_prompt_template_usage_logs FOR INSERT
  TO promptmeter_backend WITH CHECK (true);
CREATE POLICY "Backend completes usage logs" ON x402_prompt_template_usage_logs FOR UPDATE
  TO promptmeter_backend USING (true) WITH CHECK (true);
-- UPDATE ... RETURNING and the sweeper need to see the rows they write.
CREATE POLICY "Backend reads usage logs" ON x402_prompt_template_usage_logs FOR SELECT
  TO promptmeter_backend USING (true);
