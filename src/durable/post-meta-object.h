// PostMetaDO: the hot, small, chatty state of one post, named "post-meta:{tenantId}:{postId}".
// Reactions, comments, views and the live channel, each kept in the object's SQLite before it
// answers (src/durable/reactions.h, comments.h, views.h, live.h) and flushed to D1 by its alarm.
//
// Internal routes (the Worker is the only caller; it has checked the post is public and the
// reader token). Headers: x-lattice-tenant, x-lattice-post (required), x-lattice-reader and
// x-lattice-reader-name (a verified reader, when there is one), x-lattice-owner: 1 (a verified
// owner token of the post's tenant).
//   GET  /reactions                    200 {counts, mine}
//   POST /reactions {type, requestId?} 200 {type, active, counts, replayed}; 401 reader.missing_token,
//                                      429 rate.limited (Retry-After), 422 reaction.request_id_reused
//   GET  /comments?cursor&limit        200 {comments, next_cursor, more} (owners also see hidden ones)
//   POST /comments {body, parentId?, requestId?}  201 {comment} (200 when replayed); 429 rate.limited
//   PUT  /comments/{id} {hidden}       owner only: 200 {comment}; 403 auth.owner_required, 404 comment.not_found
//   POST /views {count, visitors}      202 {total}: page views, visitor keys only ever hashed with a salt
//   GET  /live                         101: a WebSocket accepted with the hibernation API
//   GET  /stats                        200 {counts, consistent, comments, unflushed, views, unique, sockets}
//
// Every change readers should see (reaction counts, a new or hidden comment) is appended to the
// object's LiveLog and broadcast to the open sockets; presence ({type:"presence", reading}) is
// broadcast when a socket opens or closes. Socket messages follow src/durable/live.h.
//
// The alarm flushes to D1: comments within COMMENTS_FLUSH_SECONDS (idempotent on the comment id),
// reaction counts within REACTIONS_FLUSH_SECONDS (absolute counts), views hourly (absolute), with
// backoff while D1 fails.
#pragma once

#include "core/task.h"
#include "durable/object-context.h"
#include "http/http.h"

namespace lattice {

Task<HttpResponse> handlePostMetaObject(ObjectContext& ox);

}  // namespace lattice
