CREATE TABLE email_activity_daily (email_campaign_id UUID NOT NULL, kind INTEGER NOT NULL, day BIGINT NOT NULL, n BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (email_campaign_id, kind, day))
-- statement --
INSERT INTO email_activity_daily (email_campaign_id, kind, day, n) SELECT email_campaign_id, kind, day, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT s.email_campaign_id AS email_campaign_id, 0 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM s.sent_at) / 86400) AS BIGINT) AS day,
                        1 AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND s.sent_at IS NOT NULL UNION ALL SELECT s.email_campaign_id AS email_campaign_id, 1 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(s.delivered_at, s.opened_at, s.clicked_at)) / 86400) AS BIGINT) AS day,
                        1 AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND COALESCE(s.delivered_at, s.opened_at, s.clicked_at) IS NOT NULL UNION ALL SELECT s.email_campaign_id AS email_campaign_id, 2 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(s.opened_at, s.clicked_at)) / 86400) AS BIGINT) AS day,
                        1 AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND COALESCE(s.opened_at, s.clicked_at) IS NOT NULL UNION ALL SELECT s.email_campaign_id AS email_campaign_id, 3 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM s.clicked_at) / 86400) AS BIGINT) AS day,
                        1 AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND s.clicked_at IS NOT NULL) AS d WHERE true GROUP BY email_campaign_id, kind, day
-- statement --
CREATE FUNCTION email_activity_daily_apply() RETURNS trigger LANGUAGE plpgsql AS $$
                         BEGIN
                           IF TG_OP = 'INSERT' THEN INSERT INTO email_activity_daily (email_campaign_id, kind, day, n) SELECT email_campaign_id, kind, day, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT r.email_campaign_id AS email_campaign_id, 0 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.sent_at) / 86400) AS BIGINT) AS day,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND r.sent_at IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 1 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.delivered_at, r.opened_at, r.clicked_at)) / 86400) AS BIGINT) AS day,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.delivered_at, r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 2 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.opened_at, r.clicked_at)) / 86400) AS BIGINT) AS day,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 3 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.clicked_at) / 86400) AS BIGINT) AS day,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND r.clicked_at IS NOT NULL) AS d WHERE true GROUP BY email_campaign_id, kind, day HAVING SUM(n) <> 0 ORDER BY email_campaign_id, kind, day ON CONFLICT (email_campaign_id, kind, day) DO UPDATE SET n = email_activity_daily.n + excluded.n;
                           ELSIF TG_OP = 'DELETE' THEN INSERT INTO email_activity_daily (email_campaign_id, kind, day, n) SELECT email_campaign_id, kind, day, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT r.email_campaign_id AS email_campaign_id, 0 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.sent_at) / 86400) AS BIGINT) AS day,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND r.sent_at IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 1 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.delivered_at, r.opened_at, r.clicked_at)) / 86400) AS BIGINT) AS day,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.delivered_at, r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 2 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.opened_at, r.clicked_at)) / 86400) AS BIGINT) AS day,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 3 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.clicked_at) / 86400) AS BIGINT) AS day,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND r.clicked_at IS NOT NULL) AS d WHERE true GROUP BY email_campaign_id, kind, day HAVING SUM(n) <> 0 ORDER BY email_campaign_id, kind, day ON CONFLICT (email_campaign_id, kind, day) DO UPDATE SET n = email_activity_daily.n + excluded.n;
                           ELSE INSERT INTO email_activity_daily (email_campaign_id, kind, day, n) SELECT email_campaign_id, kind, day, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT r.email_campaign_id AS email_campaign_id, 0 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.sent_at) / 86400) AS BIGINT) AS day,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND r.sent_at IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 1 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.delivered_at, r.opened_at, r.clicked_at)) / 86400) AS BIGINT) AS day,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.delivered_at, r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 2 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.opened_at, r.clicked_at)) / 86400) AS BIGINT) AS day,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 3 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.clicked_at) / 86400) AS BIGINT) AS day,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND r.clicked_at IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 0 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.sent_at) / 86400) AS BIGINT) AS day,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND r.sent_at IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 1 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.delivered_at, r.opened_at, r.clicked_at)) / 86400) AS BIGINT) AS day,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.delivered_at, r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 2 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.opened_at, r.clicked_at)) / 86400) AS BIGINT) AS day,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, 3 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.clicked_at) / 86400) AS BIGINT) AS day,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND r.clicked_at IS NOT NULL) AS d WHERE true GROUP BY email_campaign_id, kind, day HAVING SUM(n) <> 0 ORDER BY email_campaign_id, kind, day ON CONFLICT (email_campaign_id, kind, day) DO UPDATE SET n = email_activity_daily.n + excluded.n;
                           END IF;
                           RETURN NULL;
                         END $$
-- statement --
CREATE TRIGGER email_activity_daily_insert AFTER INSERT ON email_sends REFERENCING NEW TABLE AS new_rows
                         FOR EACH STATEMENT EXECUTE FUNCTION email_activity_daily_apply()
-- statement --
CREATE TRIGGER email_activity_daily_update AFTER UPDATE ON email_sends
                         REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                         FOR EACH STATEMENT EXECUTE FUNCTION email_activity_daily_apply()
-- statement --
CREATE TRIGGER email_activity_daily_delete AFTER DELETE ON email_sends REFERENCING OLD TABLE AS old_rows
                         FOR EACH STATEMENT EXECUTE FUNCTION email_activity_daily_apply()
