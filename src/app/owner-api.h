// What every owner API route shares: bearer-token authentication, bounded JSON bodies, and the
// write path (a D1 write and the tenant's new state read in one transaction, then reported to the
// caches and to the TenantDO before the response).
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "app/context.h"
#include "blog/post-input.h"
#include "blog/post.h"
#include "blog/tenant.h"
#include "cache/stamp.h"
#include "core/io.h"
#include "core/task.h"
#include "http/http.h"

namespace lattice {

struct Authed {
  std::optional<Tenant> tenant;
  std::optional<HttpResponse> failure;
};

// Resolves the host's tenant and checks that the bearer token belongs to it, in one query. 401
// auth.missing_token / auth.invalid_token; a valid token of another tenant sees the same 404
// tenant.not_found as a tenant that does not exist.
Task<Authed> authenticate(Context& cx, const std::string& subdomain);

// The owner API's bodies: a post's markdown plus room for its other fields (http/json-body.h).
Task<std::variant<Json, HttpResponse>> readJsonBody(Context& cx);

HttpResponse methodNotAllowed(std::string allow);

// A write, and the tenant's stamp and row just after it, in one D1 transaction. `alongside`
// runs in the same transaction right after the write (its result is not kept).
struct Written {
  D1Result write;
  cache::Stamp stamp;
  Json tenantRow;
};
Task<Written> writeAndStamp(Context& cx, SqlStatement statement, const Tenant& tenant,
                            std::optional<SqlStatement> alongside = std::nullopt);

// After a write that changed something: this location's stamp becomes the one just read (its
// next page view sees the write, with no D1 read), the TenantDO is told (every location that
// asks it sees the write next), and the written post, if any, is kept for its next view and
// recorded as a new version in its PostContentDO's history (src/app/post-content-client.h).
Task<void> afterWrite(Context& cx, const Written& w, const Post* post);

// The post write path shared by /api/posts and publishing a draft: `in` is already validated
// (parsePostInput). 201/200 {post}, 409 post.slug_taken / post.version_conflict, 404, 503.
Task<HttpResponse> createPostFrom(Context& cx, const Tenant& tenant, const PostInput& in);
Task<HttpResponse> updatePostFrom(Context& cx, const Tenant& tenant, const std::string& slug, const PostInput& in);

}  // namespace lattice
