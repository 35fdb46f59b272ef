CREATE TABLE email_activity (email_campaign_id UUID NOT NULL, retailer_id UUID NOT NULL, kind INTEGER NOT NULL, slot BIGINT NOT NULL, n BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (email_campaign_id, retailer_id, kind, slot))
-- statement --
INSERT INTO email_activity (email_campaign_id, retailer_id, kind, slot, n) SELECT email_campaign_id, retailer_id, kind, slot, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT s.email_campaign_id AS email_campaign_id, COALESCE(s.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 0 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM s.sent_at) / 900) AS BIGINT) AS slot,
                        1 AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND s.sent_at IS NOT NULL UNION ALL SELECT s.email_campaign_id AS email_campaign_id, COALESCE(s.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 1 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(s.delivered_at, s.opened_at, s.clicked_at)) / 900) AS BIGINT) AS slot,
                        1 AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND COALESCE(s.delivered_at, s.opened_at, s.clicked_at) IS NOT NULL UNION ALL SELECT s.email_campaign_id AS email_campaign_id, COALESCE(s.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 2 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(s.opened_at, s.clicked_at)) / 900) AS BIGINT) AS slot,
                        1 AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND COALESCE(s.opened_at, s.clicked_at) IS NOT NULL UNION ALL SELECT s.email_campaign_id AS email_campaign_id, COALESCE(s.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 3 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM s.clicked_at) / 900) AS BIGINT) AS slot,
                        1 AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND s.clicked_at IS NOT NULL) AS d WHERE true GROUP BY email_campaign_id, retailer_id, kind, slot
-- statement --
CREATE FUNCTION email_activity_apply() RETURNS trigger LANGUAGE plpgsql AS $$
                         BEGIN
                           IF TG_OP = 'INSERT' THEN INSERT INTO email_activity (email_campaign_id, retailer_id, kind, slot, n) SELECT email_campaign_id, retailer_id, kind, slot, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 0 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.sent_at) / 900) AS BIGINT) AS slot,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND r.sent_at IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 1 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.delivered_at, r.opened_at, r.clicked_at)) / 900) AS BIGINT) AS slot,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.delivered_at, r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 2 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.opened_at, r.clicked_at)) / 900) AS BIGINT) AS slot,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 3 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.clicked_at) / 900) AS BIGINT) AS slot,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND r.clicked_at IS NOT NULL) AS d WHERE true GROUP BY email_campaign_id, retailer_id, kind, slot HAVING SUM(n) <> 0 ORDER BY email_campaign_id, retailer_id, kind, slot ON CONFLICT (email_campaign_id, retailer_id, kind, slot) DO UPDATE SET n = email_activity.n + excluded.n;
                           ELSIF TG_OP = 'DELETE' THEN INSERT INTO email_activity (email_campaign_id, retailer_id, kind, slot, n) SELECT email_campaign_id, retailer_id, kind, slot, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 0 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.sent_at) / 900) AS BIGINT) AS slot,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND r.sent_at IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 1 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.delivered_at, r.opened_at, r.clicked_at)) / 900) AS BIGINT) AS slot,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.delivered_at, r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 2 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.opened_at, r.clicked_at)) / 900) AS BIGINT) AS slot,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 3 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.clicked_at) / 900) AS BIGINT) AS slot,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND r.clicked_at IS NOT NULL) AS d WHERE true GROUP BY email_campaign_id, retailer_id, kind, slot HAVING SUM(n) <> 0 ORDER BY email_campaign_id, retailer_id, kind, slot ON CONFLICT (email_campaign_id, retailer_id, kind, slot) DO UPDATE SET n = email_activity.n + excluded.n;
                           ELSE INSERT INTO email_activity (email_campaign_id, retailer_id, kind, slot, n) SELECT email_campaign_id, retailer_id, kind, slot, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 0 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.sent_at) / 900) AS BIGINT) AS slot,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND r.sent_at IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 1 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.delivered_at, r.opened_at, r.clicked_at)) / 900) AS BIGINT) AS slot,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.delivered_at, r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 2 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.opened_at, r.clicked_at)) / 900) AS BIGINT) AS slot,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 3 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.clicked_at) / 900) AS BIGINT) AS slot,
                        1 AS n
                 FROM new_rows r WHERE r.email_campaign_id IS NOT NULL AND r.clicked_at IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 0 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.sent_at) / 900) AS BIGINT) AS slot,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND r.sent_at IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 1 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.delivered_at, r.opened_at, r.clicked_at)) / 900) AS BIGINT) AS slot,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.delivered_at, r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 2 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(r.opened_at, r.clicked_at)) / 900) AS BIGINT) AS slot,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND COALESCE(r.opened_at, r.clicked_at) IS NOT NULL UNION ALL SELECT r.email_campaign_id AS email_campaign_id, COALESCE(r.retailer_id, '00000000-0000-0000-0000-000000000000'::uuid) AS retailer_id, 3 AS kind, CAST(FLOOR(EXTRACT(EPOCH FROM r.clicked_at) / 900) AS BIGINT) AS slot,
                        -1 AS n
                 FROM old_rows r WHERE r.email_campaign_id IS NOT NULL AND r.clicked_at IS NOT NULL) AS d WHERE true GROUP BY email_campaign_id, retailer_id, kind, slot HAVING SUM(n) <> 0 ORDER BY email_campaign_id, retailer_id, kind, slot ON CONFLICT (email_campaign_id, retailer_id, kind, slot) DO UPDATE SET n = email_activity.n + excluded.n;
                           END IF;
                           RETURN NULL;
                         END $$
-- statement --
CREATE TRIGGER email_activity_insert AFTER INSERT ON email_sends REFERENCING NEW TABLE AS new_rows
                         FOR EACH STATEMENT EXECUTE FUNCTION email_activity_apply()
-- statement --
CREATE TRIGGER email_activity_update AFTER UPDATE ON email_sends
                         REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                         FOR EACH STATEMENT EXECUTE FUNCTION email_activity_apply()
-- statement --
CREATE TRIGGER email_activity_delete AFTER DELETE ON email_sends REFERENCING OLD TABLE AS old_rows
                         FOR EACH STATEMENT EXECUTE FUNCTION email_activity_apply()
