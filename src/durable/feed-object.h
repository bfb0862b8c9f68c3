// FeedDO: one reader's Meadow feed, named "feed:{readerId}" (README "Meadow"). It holds the
// tenants the reader follows and up to FEED_MAX_ITEMS cached post previews with engagement
// counts (src/durable/feed-store.h), serves feed pages from them without touching D1, and pushes
// new items to the reader's open Meadow pages over hibernating WebSockets. D1 is the truth for
// follows; the Worker keeps this copy in step (follow, unfollow, publish, delete) and rebuilds it
// wholesale when it has drifted (GET /state says when it was last read and rebuilt).
//
// Internal routes (the Worker is the only caller; it has verified the reader token). Every
// request carries x-lattice-reader: {readerId}, which must match the object's name, else 400
// object.reader_missing / object.identity_mismatch. Bodies are JSON (Content-Type
// application/json); a preview is feed::Preview (src/feed/preview.h).
//   PUT    /follows/{tenantId} {subdomain, display_name, followed_at?, posts: [preview ≤ 50]}
//            200 {following: true, added}; 400 feed.invalid_follow, feed.invalid_item
//   DELETE /follows/{tenantId}            200 {following: false, removed}
//   GET    /follows                       200 {following: [{tenant_id, subdomain, display_name, followed_at}]}
//   POST   /items {item: preview}         200 {stored, new}; 400 feed.invalid_item
//   DELETE /items/{postId}                200 {removed}
//   POST   /rebuild {follows: [{tenant_id, subdomain, display_name, followed_at}], posts: [preview]}
//            200 {follows, items, evicted}; 400 feed.invalid_follow, feed.invalid_item
//   GET    /feed?sort=recent|relevance&limit=1..50&cursor=
//            200 {items, next_cursor, sort}; 400 feed.invalid_sort, feed.invalid_limit,
//            feed.invalid_cursor, feed.cursor_expired
//   GET    /state                         200 {items, follows, last_read_at, synced_at}
//   GET    /live                          101 (WebSocket upgrade); 426 live.upgrade_required, 503 live.full
// Socket messages, server → client: {type: "item", item}, {type: "removed", post_id},
// {type: "unfollowed", tenant_id}. Client → server: {"type":"ping"} only (answered
// {"type":"pong"} by the runtime without waking the object); anything else closes the socket
// with 1008 (or 1009 for a frame over 4 KiB) and the reasons of src/durable/live.h.
#pragma once

#include <string>
#include <string_view>

#include "core/task.h"
#include "durable/object-context.h"
#include "http/http.h"

namespace lattice {

// "feed:{readerId}"
std::string feedObjectName(std::string_view readerId);

Task<HttpResponse> handleFeedObject(ObjectContext& ox);

}  // namespace lattice
