-- Lattice schema, part 1: tenants, posts, tags, API tokens.
-- Times are Unix milliseconds (INTEGER). JSON columns are checked with json_valid.

CREATE TABLE tenants (
  id           TEXT PRIMARY KEY,
  subdomain    TEXT NOT NULL UNIQUE CHECK (length(subdomain) BETWEEN 1 AND 63),
  display_name TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  theme        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(theme)),
  tier         TEXT NOT NULL DEFAULT 'seedling'
               CHECK (tier IN ('seedling', 'sapling', 'oak', 'evergreen')),
  limits       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(limits)),
  -- Bumped by every write to the tenant's posts (triggers below): list pages and feeds are
  -- versioned by it, so a cached list that carries an older number is recognisably stale.
  content_version INTEGER NOT NULL DEFAULT 1,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

CREATE TABLE posts (
  id           TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  slug         TEXT NOT NULL CHECK (length(slug) BETWEEN 1 AND 100),
  title        TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  tags         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
  markdown     TEXT,            -- NULL while the content lives in R2 (WARM/COLD)
  html         TEXT,            -- rendered at write time by the C++ renderer
  gutter       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(gutter)),
  status       TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
  published_at INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  version      INTEGER NOT NULL DEFAULT 1,   -- every write bumps it; caches and R2 keys carry it
  storage_location TEXT NOT NULL DEFAULT 'd1' CHECK (storage_location IN ('d1', 'r2', 'r2_archived')),
  r2_key       TEXT,
  content_hash TEXT NOT NULL,   -- SHA-256 hex of the markdown
  word_count   INTEGER NOT NULL DEFAULT 0,
  last_accessed_at INTEGER,
  view_count   INTEGER NOT NULL DEFAULT 0,
  unique_viewers_30d INTEGER NOT NULL DEFAULT 0,
  UNIQUE (tenant_id, slug),
  CHECK (status <> 'published' OR published_at IS NOT NULL)
);

-- Public listing: a tenant's published posts, newest first.
CREATE INDEX posts_by_status_date ON posts (tenant_id, status, published_at DESC);
-- Tier migrator scans: posts per location ordered by last edit / last access.
CREATE INDEX posts_tier_edit ON posts (storage_location, updated_at);
CREATE INDEX posts_tier_access ON posts (storage_location, last_accessed_at);

-- One row per (post, tag), maintained by the triggers below from posts.tags, so a post write
-- stays a single atomic statement and tag pages are an index lookup.
CREATE TABLE post_tags (
  tenant_id TEXT NOT NULL,
  tag       TEXT NOT NULL,
  post_id   TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  PRIMARY KEY (tenant_id, tag, post_id)
) WITHOUT ROWID;
CREATE INDEX post_tags_by_post ON post_tags (post_id);

CREATE TRIGGER posts_tags_insert AFTER INSERT ON posts BEGIN
  INSERT OR IGNORE INTO post_tags (tenant_id, tag, post_id)
    SELECT NEW.tenant_id, value, NEW.id FROM json_each(NEW.tags);
  UPDATE tenants SET content_version = content_version + 1 WHERE id = NEW.tenant_id;
END;

CREATE TRIGGER posts_tags_update AFTER UPDATE ON posts BEGIN
  DELETE FROM post_tags WHERE post_id = OLD.id AND NEW.tags IS NOT OLD.tags;
  INSERT OR IGNORE INTO post_tags (tenant_id, tag, post_id)
    SELECT NEW.tenant_id, value, NEW.id FROM json_each(NEW.tags) WHERE NEW.tags IS NOT OLD.tags;
  UPDATE tenants SET content_version = content_version + 1
    WHERE id = NEW.tenant_id AND NEW.version <> OLD.version;
END;

CREATE TRIGGER posts_tags_delete AFTER DELETE ON posts BEGIN
  DELETE FROM post_tags WHERE post_id = OLD.id;
  UPDATE tenants SET content_version = content_version + 1 WHERE id = OLD.tenant_id;
END;

-- Owner API tokens: only the SHA-256 of the token is stored; the token is shown once.
CREATE TABLE api_tokens (
  token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
  tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  label      TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) WITHOUT ROWID;
CREATE INDEX api_tokens_by_tenant ON api_tokens (tenant_id);
