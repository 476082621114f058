-- 012_live_log_visibility: which rows of a live-log batch each subscribed viewer may read, in one
-- statement (server/src/executions/log-feed.ts). Applied once by server/src/db/migrate.ts; never
-- edit once landed.
--
-- Row-level security still decides: the function is SECURITY INVOKER, called by the request role,
-- and reads the batch as each viewer in turn (app.user_id, which the policies read). It replaces
-- two statements per viewer in one message: with 2,000 viewers those were 4,000 statements, each
-- parsed and planned, about 0.3 ms apiece (600 ms per batch on the bench machine). The loop's
-- query is planned once, generic (a custom plan per viewer cost as much as before): ~30 µs per
-- viewer. The function's SET also restores every setting it changed (app.user_id) on return.
CREATE FUNCTION live_log_visible(batch uuid[], viewers uuid[])
  RETURNS TABLE (viewer uuid, visible text)
  LANGUAGE plpgsql VOLATILE SECURITY INVOKER
  SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  outer_viewer text := current_setting('app.user_id', true);
BEGIN
  FOREACH viewer IN ARRAY viewers LOOP
    PERFORM set_config('app.user_id', viewer::text, true);
    -- The batch's 1-based ordinals this viewer may read, joined by commas ('' for none).
    SELECT coalesce(string_agg(b.n::text, ','), '') INTO visible
      FROM unnest(batch) WITH ORDINALITY AS b(id, n)
      JOIN x402_prompt_template_usage_logs AS log ON log.id = b.id;
    RETURN NEXT;
  END LOOP;
  -- The rest of the transaction runs as whoever it ran as before.
  PERFORM set_config('app.user_id', coalesce(outer_viewer, ''), true);
END
$$;
GRANT EXECUTE ON FUNCTION live_log_visible(uuid[], uuid[]) TO promptmeter_app;
