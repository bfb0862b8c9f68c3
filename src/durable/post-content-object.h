// PostContentDO: one Durable Object per post, named "post-content:{tenantId}:{postId}", on SQLite
// storage. It serves the post's current content, keeps its version history and moves the
// content between D1 and R2 safely. The Worker (or the tier migrator) calls it with the tenant's
// and the post's ids in x-lattice-tenant / x-lattice-post. Internal routes:
//
//   GET  /content            {content: {markdown, html, version, sha256, storage_location, source}}
//                            read from D1 or R2 per posts.storage_location and checked against
//                            content_hash (src/durable/post-content.h); 500 content.missing /
//                            content.corrupt when neither R2 nor a D1 copy holds it intact
//   POST /versions           a post write's report {version, created_at, title, description,
//                            markdown, sha256} -> 201 {recorded: true} | 200 {recorded: false}
//                            (a repeat); 409 version.conflict for a known version with another hash
//   GET  /versions           {versions: [...newest first], current_version}; first records D1's
//                            current version if the history lacks it (a lost report)
//   GET  /versions/{v}       {version: {..., description, markdown}}; 404 version.not_found
//   POST /migrate/r2         {key?, location?: "r2"|"r2_archived"}: write the R2 object under its
//                            immutable key, read it back and verify it, then compare-and-swap the
//                            D1 pointer on version (409 migrate.conflict when an edit raced: D1 is
//                            untouched). The D1 copy stays until /migrate/clear.
//   POST /migrate/d1         read and verify the R2 object, then compare-and-swap the content back
//                            into D1 (storage_location 'd1', r2_key NULL)
//   POST /migrate/clear      {grace_seconds?}: after the grace period (default 1 day), drop the D1
//                            copy of content in R2 (once R2 verifies) and delete the R2 objects D1
//                            no longer points at. When the post is gone from D1 (deleted; the
//                            delete queued this clear), every R2 object it had and its version
//                            history go: {post: "deleted", deleted: [keys], versions_cleared}
//
// Every move step is idempotent: a rerun after a crash at any step finishes the move, and the
// post stays readable with the right hash throughout. Moves of one post hold a lease (409
// migrate.busy while another runs; a crashed move's lease lapses after 60 s).
#pragma once

#include "core/task.h"
#include "durable/object-context.h"
#include "http/http.h"

namespace lattice {

Task<HttpResponse> handlePostContentObject(ObjectContext& ox);

}  // namespace lattice
