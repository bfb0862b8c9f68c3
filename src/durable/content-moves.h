// What a PostContentDO remembers about moving its post's content between D1 and R2, in its own
// SQLite: the R2 objects it wrote (or found D1 pointing at), since when D1 points at each and
// since when no longer, and a short lease so that two moves of the same post never interleave
// (a Durable Object may take another request while one awaits R2 or D1).
//
// An R2 object is deleted only once D1 has stopped pointing at it for a grace period; the D1 copy
// of content moved to R2 is dropped only once D1 has pointed at the object for a grace period.
// Both clocks start when the object first learns of the fact, so an object that learns late
// waits longer, never shorter.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "durable/sql.h"

namespace lattice {

// A move holds the lease at most this long: a move whose event died (a crash, an eviction)
// blocks the next one of that post no longer than this.
inline constexpr UnixMillis kMoveLeaseMs = 60 * 1000;

struct ContentObjectRecord {
  std::string key;
  long long version = 0;
  std::string sha256;
  UnixMillis writtenAt = 0;
  std::optional<UnixMillis> pointedAt;   // since when D1 points at it
  std::optional<UnixMillis> releasedAt;  // since when D1 no longer points at it (or never did)
};

class MoveLedger {
 public:
  // Creates the tables if they do not exist yet.
  explicit MoveLedger(Sql& sql);

  // Takes the lease for `op` under `token` (fresh per event) unless another holder's lease is
  // still running at `now`. False when it is (or on failure).
  bool acquire(std::string_view op, std::string_view token, UnixMillis now);
  // Gives the lease back if `token` still holds it.
  void release(std::string_view token);
  // The operation holding an unexpired lease, if any.
  std::optional<std::string> holder(UnixMillis now);

  // Remembers an object about to be written (or found), unless it is known already.
  bool remember(std::string_view key, long long version, std::string_view sha256, UnixMillis now);
  // D1 points at `key` (remembered first if unknown): its pointed clock starts unless running,
  // and it is no longer released.
  bool pointed(std::string_view key, long long version, std::string_view sha256, UnixMillis now);
  // D1 points at `pointer` (or at no object): every other object's released clock starts
  // unless running.
  bool releaseAllBut(const std::optional<std::string>& pointer, UnixMillis now);
  // A post write at `version` moved the content back to D1: objects of older versions are no
  // longer pointed at (those of `version` or newer can only have been written after that write).
  bool releaseOlderThan(long long version, UnixMillis now);

  std::optional<ContentObjectRecord> get(std::string_view key);
  // Every remembered object, oldest write first.
  std::vector<ContentObjectRecord> all();
  // Forgets an object once it is deleted from R2.
  bool forget(std::string_view key);

 private:
  Sql& sql_;
};

}  // namespace lattice
