-- 008_execution_cancellations: a caller's request to stop a run (README "Streamed runs",
-- Mutation.cancelExecution). The run may be on another instance: each instance polls this table
-- for the runs it has in flight (one indexed read every 250 ms while it has any) and aborts the
-- model request. A table of its own, not a column of the execution log: the log's rows change
-- only when a run starts or ends (each change is a live-history event, migration 005).
-- Applied once by server/src/db/migrate.ts; never edit once landed.

CREATE TABLE x402_execution_cancellations (
  execution_id  UUID PRIMARY KEY REFERENCES x402_prompt_template_usage_logs (id),
  requested_by  UUID NOT NULL REFERENCES users (id),
  requested_at  TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT ON x402_execution_cancellations TO promptmeter_app;
GRANT SELECT ON x402_execution_cancellations TO promptmeter_backend;
ALTER TABLE x402_execution_cancellations ENABLE ROW LEVEL SECURITY;

-- Only a run's caller may stop it, and only while it runs (the GraphQL layer checks the same).
CREATE POLICY "Callers stop their own running runs" ON x402_execution_cancellations FOR INSERT
  TO promptmeter_app
  WITH CHECK (
    requested_by = (SELECT app_user_id())
    AND EXISTS (
      SELECT FROM x402_prompt_template_usage_logs l
      WHERE l.id = execution_id AND l.caller_id = (SELECT app_user_id()) AND l.status = 'running'
    )
  );
CREATE POLICY "Callers read their own cancellations" ON x402_execution_cancellations FOR SELECT
  TO promptmeter_app USING (requested_by = (SELECT app_user_id()));
CREATE POLICY "Backend reads cancellations" ON x402_execution_cancellations FOR SELECT
  TO promptmeter_backend USING (true);
