// Syndication documents of a tenant's blog: an Atom feed and a sitemap. Pure functions of their
// arguments (no clock, no IO), so the same posts always give the same bytes and the pages can
// carry strong ETags.
//
// Identity: the feed's <id> is "tag:lattice,2024:{tenant.id}" and an entry's is
// "tag:lattice,2024:{tenant.id}/{post.id}" (RFC 4151 tag URIs). Ids are built from the database
// ids, not from URLs, so renaming a slug or serving the blog from another host does not make
// readers see old posts as new ones. Links (which do change) are separate elements.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "blog/post.h"
#include "blog/tenant.h"

namespace lattice::syndication {

// Atom 1.0 (RFC 4287) feed of a tenant's public posts. `posts` are already filtered to what is
// public and sorted newest first; at most `limit` entries are written, in that order.
// `origin` is scheme and host without a trailing slash, e.g. "http://demo.localhost:8787".
//   - an entry's <updated> is max(updatedAt, publishedAt) (a scheduled post is new when it goes
//     live); the feed's <updated> is the newest of those, or the Unix epoch for
//     an empty feed (deterministic, unlike "now");
//   - the feed-level <author> is the tenant's display name (entries carry none);
//   - each entry has title, alternate link {origin}/blog/{slug}, id, published (when set),
//     updated, one <category> per tag, <summary> when the description is non-empty and
//     <content type="html"> when post.html is non-empty (callers may omit bodies).
std::string atomFeed(const Tenant& tenant, const std::vector<Post>& posts, std::string_view origin,
                     size_t limit = 20);

// sitemaps.org 0.9 <urlset>: {origin}/blog, then every post {origin}/blog/{slug} with
// lastmod = updatedAt, in the given order, then every distinct tag page {origin}/tags/{tag} in
// byte order. The caller keeps it under the protocol's 50,000 URLs.
std::string sitemap(const Tenant& tenant, const std::vector<Post>& posts, std::string_view origin);

}  // namespace lattice::syndication
