// The SQLite of one reader's FeedDO ("feed:{readerId}"): whom the reader follows, the feed's
// items (cached previews with engagement counts), the relevance snapshots page cursors point
// into, and a few facts (last read, last rebuild). D1 stays the truth for follows; this is the
// working copy a feed read is served from, with no D1 query.
//
// Every method runs within one synchronous DO step (one transaction), so a read followed by a
// write is atomic. Callers validate input before calling: a method that writes is given only
// checked values, so "invalid input changes nothing" is decided before the first write.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/json.h"
#include "core/time.h"
#include "durable/sql.h"
#include "feed/cursor.h"
#include "feed/preview.h"
#include "feed/score.h"
#include "http/errors.h"

namespace lattice {

struct FeedFollow {
  std::string tenantId;
  std::string subdomain;
  std::string displayName;
  UnixMillis followedAt = 0;

  // {tenant_id, subdomain, display_name, followed_at}
  Json toJson() const;
};

// What storing one or more items did.
struct FeedMerge {
  bool ok = false;
  std::string error;   // SQL error when !ok
  long long added = 0;     // items new to the feed that are still in it after the cap
  long long updated = 0;   // items that were there and were rewritten in place
  long long evicted = 0;   // items the cap removed (new ones that did not fit included)
  std::vector<feed::Preview> fresh;  // the added items, in the order given
};

struct FeedItem {
  feed::Preview preview;
  std::optional<double> score;  // relevance pages only
  Json toJson() const;           // the preview's JSON, plus "score" when set
};

struct FeedPage {
  std::optional<ApiError> error;  // feed.cursor_expired (400) or storage.unavailable (503)
  std::vector<FeedItem> items;
  std::optional<std::string> nextCursor;  // nullopt: nothing follows
};

struct FeedStateSummary {
  long long items = 0;
  long long follows = 0;
  std::optional<UnixMillis> lastReadAt;
  std::optional<UnixMillis> syncedAt;
  Json toJson() const;  // {items, follows, last_read_at, synced_at} (null when never)
};

class FeedStore {
 public:
  // Relevance snapshots answer later pages for this long after page 1 (then 400
  // feed.cursor_expired); at most kMaxSnapshots are kept per feed, the oldest pruned first.
  static constexpr long long kSnapshotTtlMs = 60LL * 60 * 1000;
  static constexpr int kMaxSnapshots = 16;

  // Creates the tables if they do not exist yet. `maxItems` is FEED_MAX_ITEMS.
  FeedStore(Sql& sql, int maxItems);

  // The reader id this object belongs to ("" before the first request named it), and setting it.
  std::string readerId();
  void setReaderId(const std::string& readerId);

  bool follows(const std::string& tenantId);
  std::vector<FeedFollow> followList();  // newest follow first
  // Records the follow (idempotent: a repeat keeps followed_at and refreshes the names), then
  // merges `posts` (all of this tenant) as merge() does.
  FeedMerge follow(const FeedFollow& f, const std::vector<feed::Preview>& posts);
  // Removes the follow and every item of the tenant; returns the number of items removed (-1
  // on a SQL failure).
  long long unfollow(const std::string& tenantId);

  // Inserts new items and rewrites existing ones in place (an item whose post id is stored
  // under another tenant is left alone), then applies the cap: the newest maxItems by
  // (published_at, post_id) stay. Items of tenants not followed are not filtered here.
  FeedMerge merge(const std::vector<feed::Preview>& items);
  // Removes one item; whether it was there.
  bool remove(const std::string& postId);
  // Replaces follows and items wholesale and records synced_at = now.
  FeedMerge rebuild(const std::vector<FeedFollow>& follows, const std::vector<feed::Preview>& items, UnixMillis now);

  // The newest visible item (published_at <= now) by (published_at, post_id), if any.
  std::optional<feed::Preview> head(UnixMillis now);
  // Items that became visible in (after, now], oldest first: posts scheduled for the future whose
  // time has come. At most `limit`.
  std::vector<feed::Preview> cameDue(UnixMillis after, UnixMillis now, int limit);
  // The earliest published_at after `now` (the next scheduled item to come due), if any.
  std::optional<UnixMillis> nextDue(UnixMillis now);
  // Until when items that came due have been pushed to open pages.
  std::optional<UnixMillis> dueThrough();
  void markDueThrough(UnixMillis at);

  // One page of the feed at `now`; items published after `now` are not shown. A relevance
  // first page that does not hold everything stores a snapshot under `newSnapshotId`
  // (16 lower-case hex characters).
  FeedPage recent(const std::optional<feed::FeedCursor>& after, int limit, UnixMillis now);
  FeedPage relevance(const std::optional<feed::FeedCursor>& after, int limit, UnixMillis now,
                     const std::string& newSnapshotId, const feed::ScoreWeights& weights = {});

  // Records a feed read.
  void markRead(UnixMillis now);
  // When this object last wrote its reader's last read to D1 (readers.feed_read_at), if ever.
  std::optional<UnixMillis> touchedAt();
  void markTouched(UnixMillis now);
  FeedStateSummary state();
  long long itemCount();
  long long snapshotCount();

 private:
  std::optional<long long> number(const char* key);
  void setNumber(const char* key, long long value);
  bool upsertFollow(const FeedFollow& f);
  Sql& sql_;
  int maxItems_;
};

}  // namespace lattice
