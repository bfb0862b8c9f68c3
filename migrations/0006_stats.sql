-- Lattice schema, part 6: the operator dashboard's daily figures (GET /api/stats, /admin/stats).
--
-- post_day_stats  per post and UTC day (days since 1970-01-01): page views, how each view was
--                 served (x-lattice-cache: hit, miss, not-modified; anything else, i.e. bypass or
--                 off, is `uncached`) and the D1 queries the Worker made to serve those views.
--                 Each view is already reported to its PostMetaDO after the response
--                 (src/durable/views.h); the object keeps the day's figures in its SQLite and
--                 writes them here with its hourly views flush, as absolute values and never
--                 lowered, so a repeated or late flush changes nothing. No D1 write per view.
CREATE TABLE post_day_stats (
  post_id        TEXT NOT NULL,
  day            INTEGER NOT NULL,
  tenant_id      TEXT NOT NULL,
  views          INTEGER NOT NULL DEFAULT 0,
  cache_hit      INTEGER NOT NULL DEFAULT 0,
  cache_miss     INTEGER NOT NULL DEFAULT 0,
  cache_not_modified INTEGER NOT NULL DEFAULT 0,
  cache_uncached INTEGER NOT NULL DEFAULT 0,
  d1_queries     INTEGER NOT NULL DEFAULT 0,
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (post_id, day)
) WITHOUT ROWID;
-- The dashboard reads one tenant's window of days.
CREATE INDEX post_day_stats_by_tenant ON post_day_stats (tenant_id, day);
