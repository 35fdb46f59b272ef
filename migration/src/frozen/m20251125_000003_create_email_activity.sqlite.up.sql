CREATE TABLE email_activity (email_campaign_id UUID NOT NULL, retailer_id UUID NOT NULL, kind INTEGER NOT NULL, slot BIGINT NOT NULL, n BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (email_campaign_id, retailer_id, kind, slot))
-- statement --
INSERT INTO email_activity (email_campaign_id, retailer_id, kind, slot, n) SELECT email_campaign_id, retailer_id, kind, slot, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT s.email_campaign_id AS email_campaign_id, COALESCE(s.retailer_id, zeroblob(16)) AS retailer_id, 0 AS kind, (CAST(strftime('%s', s.sent_at) AS INTEGER) / 900) AS slot,
                        1 AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND s.sent_at IS NOT NULL UNION ALL SELECT s.email_campaign_id AS email_campaign_id, COALESCE(s.retailer_id, zeroblob(16)) AS retailer_id, 1 AS kind, (CAST(strftime('%s', COALESCE(s.delivered_at, s.opened_at, s.clicked_at)) AS INTEGER) / 900) AS slot,
                        1 AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND COALESCE(s.delivered_at, s.opened_at, s.clicked_at) IS NOT NULL UNION ALL SELECT s.email_campaign_id AS email_campaign_id, COALESCE(s.retailer_id, zeroblob(16)) AS retailer_id, 2 AS kind, (CAST(strftime('%s', COALESCE(s.opened_at, s.clicked_at)) AS INTEGER) / 900) AS slot,
                        1 AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND COALESCE(s.opened_at, s.clicked_at) IS NOT NULL UNION ALL SELECT s.email_campaign_id AS email_campaign_id, COALESCE(s.retailer_id, zeroblob(16)) AS retailer_id, 3 AS kind, (CAST(strftime('%s', s.clicked_at) AS INTEGER) / 900) AS slot,
                        1 AS n
                 FROM email_sends s WHERE s.email_campaign_id IS NOT NULL AND s.clicked_at IS NOT NULL) AS d WHERE true GROUP BY email_campaign_id, retailer_id, kind, slot
-- statement --
CREATE TRIGGER email_activity_insert AFTER INSERT ON email_sends BEGIN INSERT INTO email_activity (email_campaign_id, retailer_id, kind, slot, n) SELECT email_campaign_id, retailer_id, kind, slot, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT NEW.email_campaign_id AS email_campaign_id, COALESCE(NEW.retailer_id, zeroblob(16)) AS retailer_id, 0 AS kind, (CAST(strftime('%s', NEW.sent_at) AS INTEGER) / 900) AS slot,
                        1 AS n
                  WHERE NEW.email_campaign_id IS NOT NULL AND NEW.sent_at IS NOT NULL UNION ALL SELECT NEW.email_campaign_id AS email_campaign_id, COALESCE(NEW.retailer_id, zeroblob(16)) AS retailer_id, 1 AS kind, (CAST(strftime('%s', COALESCE(NEW.delivered_at, NEW.opened_at, NEW.clicked_at)) AS INTEGER) / 900) AS slot,
                        1 AS n
                  WHERE NEW.email_campaign_id IS NOT NULL AND COALESCE(NEW.delivered_at, NEW.opened_at, NEW.clicked_at) IS NOT NULL UNION ALL SELECT NEW.email_campaign_id AS email_campaign_id, COALESCE(NEW.retailer_id, zeroblob(16)) AS retailer_id, 2 AS kind, (CAST(strftime('%s', COALESCE(NEW.opened_at, NEW.clicked_at)) AS INTEGER) / 900) AS slot,
                        1 AS n
                  WHERE NEW.email_campaign_id IS NOT NULL AND COALESCE(NEW.opened_at, NEW.clicked_at) IS NOT NULL UNION ALL SELECT NEW.email_campaign_id AS email_campaign_id, COALESCE(NEW.retailer_id, zeroblob(16)) AS retailer_id, 3 AS kind, (CAST(strftime('%s', NEW.clicked_at) AS INTEGER) / 900) AS slot,
                        1 AS n
                  WHERE NEW.email_campaign_id IS NOT NULL AND NEW.clicked_at IS NOT NULL) AS d WHERE true GROUP BY email_campaign_id, retailer_id, kind, slot HAVING SUM(n) <> 0 ORDER BY email_campaign_id, retailer_id, kind, slot ON CONFLICT (email_campaign_id, retailer_id, kind, slot) DO UPDATE SET n = email_activity.n + excluded.n; END
-- statement --
CREATE TRIGGER email_activity_delete AFTER DELETE ON email_sends BEGIN INSERT INTO email_activity (email_campaign_id, retailer_id, kind, slot, n) SELECT email_campaign_id, retailer_id, kind, slot, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT OLD.email_campaign_id AS email_campaign_id, COALESCE(OLD.retailer_id, zeroblob(16)) AS retailer_id, 0 AS kind, (CAST(strftime('%s', OLD.sent_at) AS INTEGER) / 900) AS slot,
                        -1 AS n
                  WHERE OLD.email_campaign_id IS NOT NULL AND OLD.sent_at IS NOT NULL UNION ALL SELECT OLD.email_campaign_id AS email_campaign_id, COALESCE(OLD.retailer_id, zeroblob(16)) AS retailer_id, 1 AS kind, (CAST(strftime('%s', COALESCE(OLD.delivered_at, OLD.opened_at, OLD.clicked_at)) AS INTEGER) / 900) AS slot,
                        -1 AS n
                  WHERE OLD.email_campaign_id IS NOT NULL AND COALESCE(OLD.delivered_at, OLD.opened_at, OLD.clicked_at) IS NOT NULL UNION ALL SELECT OLD.email_campaign_id AS email_campaign_id, COALESCE(OLD.retailer_id, zeroblob(16)) AS retailer_id, 2 AS kind, (CAST(strftime('%s', COALESCE(OLD.opened_at, OLD.clicked_at)) AS INTEGER) / 900) AS slot,
                        -1 AS n
                  WHERE OLD.email_campaign_id IS NOT NULL AND COALESCE(OLD.opened_at, OLD.clicked_at) IS NOT NULL UNION ALL SELECT OLD.email_campaign_id AS email_campaign_id, COALESCE(OLD.retailer_id, zeroblob(16)) AS retailer_id, 3 AS kind, (CAST(strftime('%s', OLD.clicked_at) AS INTEGER) / 900) AS slot,
                        -1 AS n
                  WHERE OLD.email_campaign_id IS NOT NULL AND OLD.clicked_at IS NOT NULL) AS d WHERE true GROUP BY email_campaign_id, retailer_id, kind, slot HAVING SUM(n) <> 0 ORDER BY email_campaign_id, retailer_id, kind, slot ON CONFLICT (email_campaign_id, retailer_id, kind, slot) DO UPDATE SET n = email_activity.n + excluded.n; END
-- statement --
CREATE TRIGGER email_activity_update AFTER UPDATE OF email_campaign_id, retailer_id, sent_at, status, delivered_at, opened_at, human_opened_at, clicked_at ON email_sends BEGIN INSERT INTO email_activity (email_campaign_id, retailer_id, kind, slot, n) SELECT email_campaign_id, retailer_id, kind, slot, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT NEW.email_campaign_id AS email_campaign_id, COALESCE(NEW.retailer_id, zeroblob(16)) AS retailer_id, 0 AS kind, (CAST(strftime('%s', NEW.sent_at) AS INTEGER) / 900) AS slot,
                        1 AS n
                  WHERE NEW.email_campaign_id IS NOT NULL AND NEW.sent_at IS NOT NULL UNION ALL SELECT NEW.email_campaign_id AS email_campaign_id, COALESCE(NEW.retailer_id, zeroblob(16)) AS retailer_id, 1 AS kind, (CAST(strftime('%s', COALESCE(NEW.delivered_at, NEW.opened_at, NEW.clicked_at)) AS INTEGER) / 900) AS slot,
                        1 AS n
                  WHERE NEW.email_campaign_id IS NOT NULL AND COALESCE(NEW.delivered_at, NEW.opened_at, NEW.clicked_at) IS NOT NULL UNION ALL SELECT NEW.email_campaign_id AS email_campaign_id, COALESCE(NEW.retailer_id, zeroblob(16)) AS retailer_id, 2 AS kind, (CAST(strftime('%s', COALESCE(NEW.opened_at, NEW.clicked_at)) AS INTEGER) / 900) AS slot,
                        1 AS n
                  WHERE NEW.email_campaign_id IS NOT NULL AND COALESCE(NEW.opened_at, NEW.clicked_at) IS NOT NULL UNION ALL SELECT NEW.email_campaign_id AS email_campaign_id, COALESCE(NEW.retailer_id, zeroblob(16)) AS retailer_id, 3 AS kind, (CAST(strftime('%s', NEW.clicked_at) AS INTEGER) / 900) AS slot,
                        1 AS n
                  WHERE NEW.email_campaign_id IS NOT NULL AND NEW.clicked_at IS NOT NULL UNION ALL SELECT OLD.email_campaign_id AS email_campaign_id, COALESCE(OLD.retailer_id, zeroblob(16)) AS retailer_id, 0 AS kind, (CAST(strftime('%s', OLD.sent_at) AS INTEGER) / 900) AS slot,
                        -1 AS n
                  WHERE OLD.email_campaign_id IS NOT NULL AND OLD.sent_at IS NOT NULL UNION ALL SELECT OLD.email_campaign_id AS email_campaign_id, COALESCE(OLD.retailer_id, zeroblob(16)) AS retailer_id, 1 AS kind, (CAST(strftime('%s', COALESCE(OLD.delivered_at, OLD.opened_at, OLD.clicked_at)) AS INTEGER) / 900) AS slot,
                        -1 AS n
                  WHERE OLD.email_campaign_id IS NOT NULL AND COALESCE(OLD.delivered_at, OLD.opened_at, OLD.clicked_at) IS NOT NULL UNION ALL SELECT OLD.email_campaign_id AS email_campaign_id, COALESCE(OLD.retailer_id, zeroblob(16)) AS retailer_id, 2 AS kind, (CAST(strftime('%s', COALESCE(OLD.opened_at, OLD.clicked_at)) AS INTEGER) / 900) AS slot,
                        -1 AS n
                  WHERE OLD.email_campaign_id IS NOT NULL AND COALESCE(OLD.opened_at, OLD.clicked_at) IS NOT NULL UNION ALL SELECT OLD.email_campaign_id AS email_campaign_id, COALESCE(OLD.retailer_id, zeroblob(16)) AS retailer_id, 3 AS kind, (CAST(strftime('%s', OLD.clicked_at) AS INTEGER) / 900) AS slot,
                        -1 AS n
                  WHERE OLD.email_campaign_id IS NOT NULL AND OLD.clicked_at IS NOT NULL) AS d WHERE true GROUP BY email_campaign_id, retailer_id, kind, slot HAVING SUM(n) <> 0 ORDER BY email_campaign_id, retailer_id, kind, slot ON CONFLICT (email_campaign_id, retailer_id, kind, slot) DO UPDATE SET n = email_activity.n + excluded.n; END
