// Route handlers, grouped by concern (one .cpp each). Shared helpers for handlers live here too.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/context.h"
#include "blog/tenant.h"
#include "core/task.h"
#include "http/errors.h"
#include "http/http.h"

namespace lattice {

// Splits "/a/b/c" into percent-decoded segments; nullopt when an escape is malformed.
std::optional<std::vector<std::string>> pathSegments(std::string_view path);

// 503 for a storage failure, logged with its context.
HttpResponse storageFailure(Context& cx, std::string_view what, std::string_view error);

// `r` as an API answer no cache may keep (Cache-Control: private, no-store): what a Durable
// Object answered for one reader or owner.
HttpResponse privateNoStore(HttpResponse r);

// Public pages on a tenant host (GET/HEAD): /, /blog, /blog/{slug}, /tags/{tag}.
Task<HttpResponse> handlePublicPage(Context& cx, const std::string& subdomain,
                                    const std::vector<std::string>& segments);

// The owner API on a tenant host: /api/posts[/{slug}] and /api/preview.
Task<HttpResponse> handlePostsApi(Context& cx, const std::string& subdomain,
                                  const std::vector<std::string>& segments);

// A post's version history through its PostContentDO: /api/posts/{slug}/versions[/{v}[/restore]]
// (src/app/post-versions-routes.cpp). segments[0..3] == "api", "posts", slug, "versions".
Task<HttpResponse> handlePostVersionsApi(Context& cx, const std::string& subdomain,
                                         const std::vector<std::string>& segments);

// The tenant's config, drafts and analytics, through its TenantDO: /api/tenant, /api/drafts...,
// /api/events (src/app/tenant-routes.cpp). segments[0] == "api".
Task<HttpResponse> handleTenantApi(Context& cx, const std::string& subdomain,
                                   const std::vector<std::string>& segments);

// The owner's editor in the browser: /admin and its assets (src/app/admin-routes.cpp).
Task<HttpResponse> handleAdminPage(Context& cx, const std::string& subdomain,
                                   const std::vector<std::string>& segments);

// Readers' side of a public post, through its PostMetaDO (src/app/post-meta-routes.cpp):
// /api/posts/{slug}/reactions, /comments[/{id}], /live. segments.size() >= 4.
Task<HttpResponse> handlePostSocialApi(Context& cx, const std::string& subdomain,
                                       const std::vector<std::string>& segments);

// Counts one view of a public post in its PostMetaDO, after the response is sent, with how it
// was served (`cache`: the response's x-lattice-cache) and the D1 queries made for it so far.
void countPostView(Context& cx, const std::string& tenantId, const std::string& postId, const std::string& cache);

// The operator dashboard's figures: GET /api/stats?days= (owner token; src/app/stats-routes.cpp).
Task<HttpResponse> handleStatsApi(Context& cx, const std::string& subdomain);

// The tier migrator (src/app/tiers-routes.cpp): the Worker's cron event (Context::scheduled), and
// POST /api/admin/migrate[?dry_run=1] on any host with the operator token.
Task<HttpResponse> handleScheduled(Context& cx);
Task<HttpResponse> handleAdminMigrate(Context& cx);

// Meadow, a reader's feed of the blogs they follow, through their FeedDO
// (src/app/meadow-routes.cpp): /api/meadow/following[/{subdomain}], /feed, /live, /blogs, on every
// host.
Task<HttpResponse> handleMeadowApi(Context& cx, const std::vector<std::string>& segments);
// The Meadow page on the main host: /meadow, /meadow/meadow.js, /meadow/meadow.css (web/meadow).
Task<HttpResponse> handleMeadowPage(Context& cx, const std::vector<std::string>& segments);
// After a post write's response: pushes the post (public) or its removal (deleted, unpublished)
// to the FeedDOs of the blog's followers who read Meadow in the last FEED_ACTIVE_DAYS.
void fanOutPost(Context& cx, const std::string& tenantId, const std::string& postId, bool isPublic);

// GET /__lattice/metrics (dev only).
Task<HttpResponse> handleMetrics(Context& cx);

}  // namespace lattice
