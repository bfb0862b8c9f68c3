-- Lattice schema, part 4: what the tier migrator (src/tiers/) needs.
--
-- posts.tier          the tier the migrator last recorded ('hot', 'warm', 'cold', 'popular'; NULL
--                     before its first look). storage_location says where the content is; this
--                     tells POPULAR from WARM (both in R2) and lets the policy apply its
--                     hysteresis. Content in D1 is HOT whatever it says (a post write moves the
--                     content back to D1 by itself).
-- posts.views_30d     views over the 30 days before views_30d_at, written by the PostMetaDO's
-- posts.views_30d_at  hourly views flush (src/durable/views.h); the policy ages it when no flush
--                     came for a while (tiers::viewsPerDayAt).
-- posts.content_bytes bytes of markdown + html, kept by the triggers below whenever D1 holds the
--                     content, so that the migrator can size moves and sum D1 vs R2 without
--                     reading any content (it stays when the D1 copy is cleared).
ALTER TABLE posts ADD COLUMN tier TEXT;
ALTER TABLE posts ADD COLUMN views_30d INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN views_30d_at INTEGER;
ALTER TABLE posts ADD COLUMN content_bytes INTEGER NOT NULL DEFAULT 0;

UPDATE posts SET content_bytes = length(CAST(coalesce(markdown, '') AS BLOB)) + length(CAST(coalesce(html, '') AS BLOB))
 WHERE markdown IS NOT NULL;

CREATE TRIGGER posts_content_bytes_insert AFTER INSERT ON posts WHEN NEW.markdown IS NOT NULL BEGIN
  UPDATE posts SET content_bytes = length(CAST(NEW.markdown AS BLOB)) + length(CAST(coalesce(NEW.html, '') AS BLOB))
   WHERE id = NEW.id;
END;

CREATE TRIGGER posts_content_bytes_update AFTER UPDATE OF markdown, html ON posts
WHEN NEW.markdown IS NOT NULL BEGIN
  UPDATE posts SET content_bytes = length(CAST(NEW.markdown AS BLOB)) + length(CAST(coalesce(NEW.html, '') AS BLOB))
   WHERE id = NEW.id;
END;

-- The migrator's totals (bytes in D1 vs R2) read this index alone, never the content.
CREATE INDEX posts_tier_bytes ON posts (storage_location, content_bytes);

-- The migrator's own state, one row: where the scan of posts (by id) resumes, and the lease of
-- the run in progress (two runs never overlap unless one outlives its lease; moves are safe even
-- then, see src/tiers/migrator.h).
CREATE TABLE tier_migrator (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  cursor          TEXT NOT NULL DEFAULT '',   -- the last post id examined; '' starts a pass
  lease_token     TEXT,
  lease_until     INTEGER NOT NULL DEFAULT 0,
  pass_started_at INTEGER,
  last_pass_at    INTEGER,                    -- when the last full pass over all posts ended
  last_run_at     INTEGER
);
INSERT INTO tier_migrator (id) VALUES (1);

-- Posts whose PostContentDO holds an old copy to clear after the grace period (the D1 copy of
-- content now in R2, or R2 objects D1 no longer points at). Written before each move is tried,
-- so a move that dies halfway still gets its garbage collected.
CREATE TABLE tier_clears (
  post_id   TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  due_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX tier_clears_due ON tier_clears (due_at);
