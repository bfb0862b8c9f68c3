-- Lattice schema, part 2: the durable homes of reader-facing data. Durable Objects buffer these
-- and flush them here by alarm with idempotency keys (later issues fill in the flows).

-- Readers: platform-wide identities for reactions, comments and follows (token hash only).
CREATE TABLE readers (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
  created_at INTEGER NOT NULL
);

CREATE TABLE comments (
  id         TEXT PRIMARY KEY,              -- idempotency key: repeated flushes insert nothing
  tenant_id  TEXT NOT NULL,
  post_id    TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  reader_id  TEXT NOT NULL,
  parent_id  TEXT,
  body       TEXT NOT NULL,
  hidden     INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX comments_by_post ON comments (post_id, created_at);

-- Aggregated reaction counts per post and type (the per-reader rows live in PostMetaDO).
CREATE TABLE reaction_counts (
  post_id    TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  type       TEXT NOT NULL,
  count      INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (post_id, type)
) WITHOUT ROWID;

CREATE TABLE analytics_events (
  id          TEXT PRIMARY KEY,             -- idempotency key from the TenantDO outbox
  tenant_id   TEXT NOT NULL,
  post_id     TEXT,
  kind        TEXT NOT NULL,
  payload     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
  occurred_at INTEGER NOT NULL
);
CREATE INDEX analytics_by_tenant_time ON analytics_events (tenant_id, occurred_at);

CREATE TABLE follows (
  reader_id  TEXT NOT NULL,
  tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (reader_id, tenant_id)
) WITHOUT ROWID;
CREATE INDEX follows_by_tenant ON follows (tenant_id);
