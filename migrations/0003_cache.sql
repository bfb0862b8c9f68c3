-- Lattice schema, part 3: what the caches need to know that a version changed.
--
-- tenants.content_version is bumped by every post write (insert, version-changing update,
-- delete); tenants.config_version by every change of what the tenant's pages show of the tenant
-- (name, description, theme, tier, limits). post_changes logs, per content_version, which slugs
-- that write touched, so a reader that knows the last 64 versions (the "stamp", see
-- src/cache/stamp.h) can tell whether one post changed without reading it.

ALTER TABLE tenants ADD COLUMN config_version INTEGER NOT NULL DEFAULT 1;

CREATE TABLE post_changes (
  tenant_id TEXT NOT NULL,
  version   INTEGER NOT NULL,   -- the tenant's content_version this write produced
  slug      TEXT NOT NULL,      -- a slug whose public page the write may have changed
  PRIMARY KEY (tenant_id, version, slug)
) WITHOUT ROWID;

-- Writes before this migration were not logged: move every tenant past a full window, so that
-- no reader ever trusts the log for versions it does not cover.
UPDATE tenants SET content_version = content_version + 64;

DROP TRIGGER posts_tags_insert;
DROP TRIGGER posts_tags_update;
DROP TRIGGER posts_tags_delete;

-- One bump and one log entry per write; the log keeps the last 128 versions per tenant.
CREATE TRIGGER posts_after_insert AFTER INSERT ON posts BEGIN
  INSERT OR IGNORE INTO post_tags (tenant_id, tag, post_id)
    SELECT NEW.tenant_id, value, NEW.id FROM json_each(NEW.tags);
  UPDATE tenants SET content_version = content_version + 1 WHERE id = NEW.tenant_id;
  INSERT OR IGNORE INTO post_changes (tenant_id, version, slug)
    SELECT id, content_version, NEW.slug FROM tenants WHERE id = NEW.tenant_id;
  DELETE FROM post_changes WHERE tenant_id = NEW.tenant_id
    AND version <= (SELECT content_version FROM tenants WHERE id = NEW.tenant_id) - 128;
END;

CREATE TRIGGER posts_after_update AFTER UPDATE ON posts BEGIN
  DELETE FROM post_tags WHERE post_id = OLD.id AND NEW.tags IS NOT OLD.tags;
  INSERT OR IGNORE INTO post_tags (tenant_id, tag, post_id)
    SELECT NEW.tenant_id, value, NEW.id FROM json_each(NEW.tags) WHERE NEW.tags IS NOT OLD.tags;
END;

-- Content changes bump post.version; a tier move (storage_location only) does not and needs no
-- invalidation, since what readers see is the same.
CREATE TRIGGER posts_after_version_change AFTER UPDATE OF version ON posts
WHEN NEW.version <> OLD.version BEGIN
  UPDATE tenants SET content_version = content_version + 1 WHERE id = NEW.tenant_id;
  INSERT OR IGNORE INTO post_changes (tenant_id, version, slug)
    SELECT id, content_version, NEW.slug FROM tenants WHERE id = NEW.tenant_id
    UNION ALL
    SELECT id, content_version, OLD.slug FROM tenants WHERE id = NEW.tenant_id AND OLD.slug <> NEW.slug;
  DELETE FROM post_changes WHERE tenant_id = NEW.tenant_id
    AND version <= (SELECT content_version FROM tenants WHERE id = NEW.tenant_id) - 128;
END;

CREATE TRIGGER posts_after_delete AFTER DELETE ON posts BEGIN
  DELETE FROM post_tags WHERE post_id = OLD.id;
  UPDATE tenants SET content_version = content_version + 1 WHERE id = OLD.tenant_id;
  INSERT OR IGNORE INTO post_changes (tenant_id, version, slug)
    SELECT id, content_version, OLD.slug FROM tenants WHERE id = OLD.tenant_id;
  DELETE FROM post_changes WHERE tenant_id = OLD.tenant_id
    AND version <= (SELECT content_version FROM tenants WHERE id = OLD.tenant_id) - 128;
END;

CREATE TRIGGER tenants_after_config_change
AFTER UPDATE OF display_name, description, theme, tier, limits ON tenants BEGIN
  UPDATE tenants SET config_version = config_version + 1 WHERE id = NEW.id;
END;
