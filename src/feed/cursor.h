// Meadow's page cursors: opaque to clients, sealed with a checksum (core/sealed-token.h), and
// never an offset into the live list, so that pages stay free of duplicates and gaps while new
// items arrive and scores change.
//
//   recent     keyset on (published_at DESC, post_id DESC): the cursor is the last item shown;
//              the next page is everything strictly after it in that order. Items that arrive
//              later sort before it (they are newer) and cannot shift what comes after.
//   relevance  a frozen ranking: the first page ranks every visible item at `now` and stores
//              the ranked ids as a snapshot in the object's SQLite; the cursor is {snapshot id,
//              last rank shown}. Later pages continue down that same list (skipping items
//              deleted since), so neither a new item nor a changed score can move an item
//              across a page boundary. Snapshots expire (FeedStore::kSnapshotTtlMs).
//
// Bytes before sealing: version (1), sort (1 recent, 2 relevance), then
//   recent:    published_at as 8 bytes big-endian (two's complement), post id (1-64 id chars)
//   relevance: snapshot id as 8 bytes (16 lower-case hex characters in storage), rank as 4
//              bytes big-endian (≥ 1)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace lattice::feed {

enum class Sort { Recent, Relevance };

// "recent" or "relevance"; nullopt for anything else.
std::optional<Sort> parseSort(std::string_view text);
const char* sortName(Sort sort);

inline constexpr unsigned char kCursorVersion = 1;
// Longer strings are refused before decoding (the longest real cursor, a recent one with a 64-character post id, is 104).
inline constexpr size_t kMaxCursorChars = 128;

struct FeedCursor {
  Sort sort = Sort::Recent;
  // recent: the last item of the page
  UnixMillis publishedAt = 0;
  std::string postId;
  // relevance
  std::string snapshotId;  // 16 lower-case hex characters
  long long rank = 0;      // the last rank shown, 1-based

  bool operator==(const FeedCursor&) const = default;
};

FeedCursor recentCursor(UnixMillis publishedAt, std::string postId);
FeedCursor relevanceCursor(std::string snapshotId, long long rank);

// The opaque text of a cursor. The cursor's fields must be valid (see decodeCursor).
std::string encodeCursor(const FeedCursor& cursor);
// The cursor encodeCursor() produced, or nullopt for anything else: too long, not base64url,
// checksum mismatch, another version, an unknown sort, a post id that is not 1-64 characters of
// [A-Za-z0-9_-], a snapshot id that is not 8 bytes, a rank below 1, trailing bytes.
std::optional<FeedCursor> decodeCursor(std::string_view text);

}  // namespace lattice::feed
