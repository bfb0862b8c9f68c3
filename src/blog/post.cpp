#include "blog/post.h"

namespace lattice {

namespace {
constexpr const char* kListColumns =
    "p.id, p.slug, p.title, p.description, p.tags, p.status, p.published_at, p.created_at, "
    "p.updated_at, p.version, p.word_count, p.storage_location, p.content_hash";
constexpr const char* kFullColumns =
    "p.id, p.tenant_id, p.slug, p.title, p.description, p.tags, p.markdown, p.html, p.gutter, "
    "p.status, p.published_at, p.created_at, p.updated_at, p.version, p.storage_location, "
    "p.content_hash, p.word_count, p.r2_key, p.tier";

Json optionalTime(const std::optional<UnixMillis>& t) {
  return t ? Json(*t) : Json(nullptr);
}
}  // namespace

Post Post::fromRow(const Json& row) {
  Post p;
  p.id = jsonString(row, "id");
  p.tenantId = jsonString(row, "tenant_id");
  p.slug = jsonString(row, "slug");
  p.title = jsonString(row, "title");
  p.description = jsonString(row, "description");
  if (auto tags = parseJson(jsonString(row, "tags", "[]")); tags && tags->is_array())
    for (const auto& t : *tags)
      if (t.is_string()) p.tags.push_back(t.get<std::string>());
  p.markdown = jsonString(row, "markdown");
  p.html = jsonString(row, "html");
  if (auto g = parseJson(jsonString(row, "gutter", "[]")); g) p.gutter = *g;
  p.status = jsonString(row, "status", "draft");
  if (auto it = row.find("published_at"); it != row.end() && it->is_number())
    p.publishedAt = it->get<long long>();
  p.createdAt = jsonInt(row, "created_at");
  p.updatedAt = jsonInt(row, "updated_at");
  p.version = jsonInt(row, "version", 1);
  p.storageLocation = jsonString(row, "storage_location", "d1");
  p.tier = jsonString(row, "tier");
  p.contentHash = jsonString(row, "content_hash");
  p.wordCount = jsonInt(row, "word_count");
  return p;
}

Json Post::toJson(bool withContent) const {
  Json j = {{"id", id},
            {"slug", slug},
            {"title", title},
            {"description", description},
            {"tags", tags},
            {"status", status},
            {"published_at", publishedAt ? Json(formatIso8601(*publishedAt)) : Json(nullptr)},
            {"created_at", formatIso8601(createdAt)},
            {"updated_at", formatIso8601(updatedAt)},
            {"version", version},
            {"word_count", wordCount},
            {"storage_location", storageLocation},
            {"content_hash", contentHash}};
  if (withContent) {
    j["markdown"] = markdown;
    j["html"] = html;
    j["gutter"] = gutter;
  }
  return j;
}

Json Post::toRow() const {
  return {{"id", id},
          {"tenant_id", tenantId},
          {"slug", slug},
          {"title", title},
          {"description", description},
          {"tags", Json(tags).dump()},
          {"markdown", markdown},
          {"html", html},
          {"gutter", gutter.dump()},
          {"status", status},
          {"published_at", optionalTime(publishedAt)},
          {"created_at", createdAt},
          {"updated_at", updatedAt},
          {"version", version},
          {"storage_location", storageLocation},
          {"tier", tier.empty() ? Json(nullptr) : Json(tier)},
          {"content_hash", contentHash},
          {"word_count", wordCount}};
}

int Post::readingMinutes() const { return std::max<int>(1, static_cast<int>((wordCount + 229) / 230)); }

namespace post_sql {

SqlStatement publishedBySlug(std::string_view tenantId, std::string_view slug, UnixMillis now) {
  return {std::string("SELECT ") + kFullColumns + R"( FROM posts p
            WHERE p.tenant_id = ?1 AND p.slug = ?2 AND p.status = 'published'
              AND p.published_at <= ?3)",
          Json::array({std::string(tenantId), std::string(slug), now})};
}

SqlStatement bySlugVersioned(std::string_view tenantId, std::string_view slug) {
  return {std::string("SELECT t.content_version AS cache_at, ") + kFullColumns + R"( FROM tenants t
            LEFT JOIN posts p ON p.tenant_id = t.id AND p.slug = ?2 WHERE t.id = ?1)",
          Json::array({std::string(tenantId), std::string(slug)})};
}

SqlStatement publicIndexVersioned(std::string_view tenantId, size_t max, size_t withHtml) {
  return {std::string("SELECT t.content_version AS cache_at, ") + kListColumns + R"(,
              CASE WHEN ROW_NUMBER() OVER (ORDER BY p.published_at DESC, p.id DESC) <= ?3
                   THEN p.html END AS html
            FROM tenants t
            LEFT JOIN posts p ON p.tenant_id = t.id AND p.status = 'published' WHERE t.id = ?1
            ORDER BY p.published_at DESC, p.id DESC LIMIT ?2)",
          Json::array({std::string(tenantId), static_cast<long long>(max), static_cast<long long>(withHtml)})};
}

SqlStatement bySlug(std::string_view tenantId, std::string_view slug) {
  return {std::string("SELECT ") + kFullColumns + " FROM posts p WHERE p.tenant_id = ?1 AND p.slug = ?2",
          Json::array({std::string(tenantId), std::string(slug)})};
}

SqlStatement publishedPage(std::string_view tenantId, UnixMillis now, int limit, int offset) {
  return {std::string("SELECT ") + kListColumns + R"( FROM posts p
            WHERE p.tenant_id = ?1 AND p.status = 'published' AND p.published_at <= ?2
            ORDER BY p.published_at DESC, p.id DESC LIMIT ?3 OFFSET ?4)",
          Json::array({std::string(tenantId), now, limit + 1, offset})};
}

SqlStatement publishedPageByTag(std::string_view tenantId, std::string_view tag, UnixMillis now,
                                int limit, int offset) {
  return {std::string("SELECT ") + kListColumns + R"( FROM post_tags t JOIN posts p ON p.id = t.post_id
            WHERE t.tenant_id = ?1 AND t.tag = ?2 AND p.status = 'published' AND p.published_at <= ?3
            ORDER BY p.published_at DESC, p.id DESC LIMIT ?4 OFFSET ?5)",
          Json::array({std::string(tenantId), std::string(tag), now, limit + 1, offset})};
}

SqlStatement ownerPage(std::string_view tenantId, std::string_view status, int limit, int offset) {
  return {std::string("SELECT ") + kListColumns + R"( FROM posts p
            WHERE p.tenant_id = ?1 AND (?2 = '' OR p.status = ?2)
            ORDER BY p.updated_at DESC, p.id DESC LIMIT ?3 OFFSET ?4)",
          Json::array({std::string(tenantId), std::string(status), limit + 1, offset})};
}

SqlStatement insert(const Post& p) {
  return {R"(INSERT INTO posts (id, tenant_id, slug, title, description, tags, markdown, html, gutter,
                                status, published_at, created_at, updated_at, version,
                                storage_location, content_hash, word_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, 'd1', ?14, ?15)
             ON CONFLICT (tenant_id, slug) DO NOTHING)",
          Json::array({p.id, p.tenantId, p.slug, p.title, p.description, Json(p.tags).dump(),
                       p.markdown, p.html, p.gutter.dump(), p.status, optionalTime(p.publishedAt),
                       p.createdAt, p.updatedAt, p.contentHash, p.wordCount})};
}

SqlStatement update(const Post& p, long long expectedVersion) {
  return {R"(UPDATE posts SET slug = ?3, title = ?4, description = ?5, tags = ?6, markdown = ?7,
                    html = ?8, gutter = ?9, status = ?10, published_at = ?11, updated_at = ?12,
                    content_hash = ?13, word_count = ?14, version = version + 1,
                    storage_location = 'd1', r2_key = NULL
             WHERE id = ?1 AND tenant_id = ?2 AND version = ?15
               AND NOT EXISTS (SELECT 1 FROM posts o
                                WHERE o.tenant_id = ?2 AND o.slug = ?3 AND o.id <> ?1))",
          Json::array({p.id, p.tenantId, p.slug, p.title, p.description, Json(p.tags).dump(),
                       p.markdown, p.html, p.gutter.dump(), p.status, optionalTime(p.publishedAt),
                       p.updatedAt, p.contentHash, p.wordCount, expectedVersion})};
}

SqlStatement remove(std::string_view tenantId, std::string_view postId) {
  return {"DELETE FROM posts WHERE id = ?1 AND tenant_id = ?2",
          Json::array({std::string(postId), std::string(tenantId)})};
}

SqlStatement content(std::string_view tenantId, std::string_view postId) {
  return {R"(SELECT id, tenant_id, slug, title, description, version, storage_location, r2_key,
                    content_hash, markdown, html, updated_at
               FROM posts WHERE id = ?1 AND tenant_id = ?2)",
          Json::array({std::string(postId), std::string(tenantId)})};
}

SqlStatement pointToR2(std::string_view tenantId, std::string_view postId, long long version,
                       std::string_view fromLocation, const std::optional<std::string>& fromKey,
                       std::string_view toLocation, std::string_view toKey) {
  return {R"(UPDATE posts SET storage_location = ?6, r2_key = ?7
              WHERE id = ?1 AND tenant_id = ?2 AND version = ?3 AND storage_location = ?4 AND r2_key IS ?5
             RETURNING version)",
          Json::array({std::string(postId), std::string(tenantId), version, std::string(fromLocation),
                       fromKey ? Json(*fromKey) : Json(nullptr), std::string(toLocation), std::string(toKey)})};
}

SqlStatement pointToD1(std::string_view tenantId, std::string_view postId, long long version,
                       std::string_view fromLocation, const std::optional<std::string>& fromKey,
                       std::string_view markdown, std::string_view html) {
  return {R"(UPDATE posts SET markdown = ?6, html = ?7, storage_location = 'd1', r2_key = NULL
              WHERE id = ?1 AND tenant_id = ?2 AND version = ?3 AND storage_location = ?4 AND r2_key IS ?5
             RETURNING version)",
          Json::array({std::string(postId), std::string(tenantId), version, std::string(fromLocation),
                       fromKey ? Json(*fromKey) : Json(nullptr), std::string(markdown), std::string(html)})};
}

SqlStatement clearD1Copy(std::string_view tenantId, std::string_view postId, long long version,
                         std::string_view location, std::string_view key) {
  return {R"(UPDATE posts SET markdown = NULL, html = NULL
              WHERE id = ?1 AND tenant_id = ?2 AND version = ?3 AND storage_location = ?4 AND r2_key = ?5
                AND storage_location <> 'd1'
             RETURNING version)",
          Json::array({std::string(postId), std::string(tenantId), version, std::string(location),
                       std::string(key)})};
}

}  // namespace post_sql

}  // namespace lattice
