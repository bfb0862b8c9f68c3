// Posts: the row, its API representation, and the SQL owned by the posts table.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/io.h"
#include "core/json.h"
#include "core/time.h"

namespace lattice {

struct Post {
  std::string id;
  std::string tenantId;
  std::string slug;
  std::string title;
  std::string description;
  std::vector<std::string> tags;
  std::string markdown;
  std::string html;
  Json gutter = Json::array();
  std::string status = "draft";
  std::optional<UnixMillis> publishedAt;
  UnixMillis createdAt = 0;
  UnixMillis updatedAt = 0;
  long long version = 1;
  std::string storageLocation = "d1";
  std::string tier;  // posts.tier as the migrator last recorded it ("" before its first look)
  std::string contentHash;
  long long wordCount = 0;

  // From a row of any of the SELECTs below (missing columns keep their defaults).
  static Post fromRow(const Json& row);
  // A row as the SELECTs below return it (what the KV cache stores).
  Json toRow() const;
  // Published, and its publication time has come.
  bool isPublicAt(UnixMillis now) const { return status == "published" && publishedAt && *publishedAt <= now; }
  // The API representation; `withContent` adds markdown and html.
  Json toJson(bool withContent) const;
  // Minutes to read at ~230 words a minute, at least 1.
  int readingMinutes() const;
};

// SQL owned by the posts table. Every statement filters on tenant_id.
namespace post_sql {

// A published, already-public post by slug (publish time not in the future).
SqlStatement publishedBySlug(std::string_view tenantId, std::string_view slug, UnixMillis now);
// For the caches: one row with `cache_at` (the tenant's content_version in the same snapshot) and
// the post's columns, NULL when there is no post at `slug`. Any status. Like every full-column
// SELECT here it also returns `r2_key`, so a post whose content D1 no longer holds can be read
// from R2 (durable/post-content.h, ContentRow::fromRow) without a second query.
SqlStatement bySlugVersioned(std::string_view tenantId, std::string_view slug);
// For the caches: every published post's list columns (scheduled ones too; callers filter by
// time), newest first, at most `max`, the first `withHtml` with their html (for the feed); each
// row with `cache_at` (and one row of NULLs if none).
SqlStatement publicIndexVersioned(std::string_view tenantId, size_t max, size_t withHtml);
// Any post by slug, all statuses (owner API).
SqlStatement bySlug(std::string_view tenantId, std::string_view slug);
// A page of public posts, newest first; asks for limit+1 rows so the caller knows if more follow.
SqlStatement publishedPage(std::string_view tenantId, UnixMillis now, int limit, int offset);
SqlStatement publishedPageByTag(std::string_view tenantId, std::string_view tag, UnixMillis now,
                                int limit, int offset);
// Owner listing: all statuses (or one), most recently updated first, limit+1 rows.
SqlStatement ownerPage(std::string_view tenantId, std::string_view status, int limit, int offset);
// Insert unless the slug is taken (changes == 0 then).
SqlStatement insert(const Post& p);
// Overwrite the post `p.id` if its version is still `expectedVersion` and `p.slug` is free;
// bumps version. changes == 0 when either condition failed.
SqlStatement update(const Post& p, long long expectedVersion);
SqlStatement remove(std::string_view tenantId, std::string_view postId);

// Content moves (src/durable/post-content.h). `content` reads what a move or a content read needs:
// id, tenant_id, slug, title, description, version, storage_location, r2_key, content_hash,
// markdown, html (NULL while only R2 holds them), updated_at. The three writes are
// compare-and-swaps on (version, storage_location, r2_key) and return the row's version when they
// applied (RETURNING: no row means the post changed since it was read, e.g. an edit raced the
// move). None of them bumps `version`: readers see the same content before and after.
SqlStatement content(std::string_view tenantId, std::string_view postId);
// Points the post at the R2 object `toKey` (location 'r2' or 'r2_archived'); the D1 copy stays.
SqlStatement pointToR2(std::string_view tenantId, std::string_view postId, long long version,
                       std::string_view fromLocation, const std::optional<std::string>& fromKey,
                       std::string_view toLocation, std::string_view toKey);
// Writes the content back into D1 and points the post there (r2_key NULL).
SqlStatement pointToD1(std::string_view tenantId, std::string_view postId, long long version,
                       std::string_view fromLocation, const std::optional<std::string>& fromKey,
                       std::string_view markdown, std::string_view html);
// Drops the D1 copy (markdown and html NULL) of a post whose content is in R2 at `key`.
SqlStatement clearD1Copy(std::string_view tenantId, std::string_view postId, long long version,
                         std::string_view location, std::string_view key);

}  // namespace post_sql

}  // namespace lattice
