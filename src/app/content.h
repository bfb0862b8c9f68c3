// Where public content comes from. Each read goes through the cache layers, cheapest first:
//   stamp + tenant   the location's Cache API (TTL CachePolicy::stampTtl), else the tenant's
//                    TenantDO (src/durable/tenant-state.h), reached only for tenants that exist
//                    (src/app/tenant-directory.h); D1 if the object cannot be reached
//   post, index      KV (valid only if the stamp says the copy is current), else D1; a post's
//                    content from R2 when D1 no longer holds it (see post())
// D1 is the source of truth; a copy in KV is used only when the stamp proves it current, so an
// out-of-date KV value (KV is eventually consistent) is a miss, never a stale page. Misses fill
// the caches after the response is sent; an expired-but-current KV copy is served while a refresh
// runs after the response (stale-while-revalidate). Concurrent identical D1 reads in one isolate
// are coalesced by the driver.
//
// With caches off (CACHE_MODE=off, or a request with credentials) every read goes to D1 and
// nothing is stored.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/context.h"
#include "blog/post.h"
#include "blog/tenant.h"
#include "cache/stamp.h"
#include "core/task.h"

namespace lattice {

// A read that may fail: `error` set, value meaningless, unless `code` says otherwise.
//   code ""                     storage unavailable (answer 503 storage.unavailable)
//   code kContentUnavailable    the post is known (`value` holds it, without content) but its
//                               content could not be read: the R2 object is missing or corrupt
//                               and D1 holds no copy (logged where it was found)
template <typename T>
struct Fetched {
  T value{};
  std::string error;
  std::string code;
  bool ok() const { return error.empty(); }
};
inline constexpr const char* kContentUnavailable = "content.unavailable";
// Built in a function rather than braced in a co_return: g++ 12 mishandles such temporaries.
template <typename T>
Fetched<T> fetched(T value) {
  Fetched<T> f;
  f.value = std::move(value);
  return f;
}
template <typename T>
Fetched<T> fetchFailed(std::string error) {
  Fetched<T> f;
  f.error = std::move(error);
  return f;
}

class Content {
 public:
  Content(Context& cx, bool useCaches) : cx_(cx), useCaches_(useCaches) {}
  bool usesCaches() const { return useCaches_; }

  Task<Fetched<cache::Stamp>> stamp(std::string subdomain);
  Task<Fetched<std::optional<Tenant>>> tenant(const cache::Stamp& stamp);
  // The post at `slug`, any status (callers decide what is public). A published post's html
  // comes from wherever its content lives: D1 while D1 holds it, else the R2 object named by
  // posts.r2_key, hash-checked (durable/post-content.h, readContent); the KV copy carries that
  // html, so a warm post costs no R2 read either. (Its markdown is filled only from D1: public
  // pages show html.) A missing or corrupt object without a D1 copy is kContentUnavailable and
  // is never stored in KV.
  Task<Fetched<std::optional<Post>>> post(const cache::Stamp& stamp, std::string slug);
  // Every published post (list columns), scheduled ones included, newest first.
  Task<Fetched<std::vector<Post>>> index(const cache::Stamp& stamp);

  // Keeps `stamp` in this location's Cache API, unless a newer one is kept there already: a
  // reader whose D1 read began before a write here, or the slower of two writes, must not put
  // older versions back. After a write it is the stamp read in the write's own transaction, so
  // the next reader here sees the write.
  // `tenantRow` is the tenants row read with it (kept alongside: the page's config).
  static Task<void> storeStamp(Context& cx, cache::Stamp stamp, Json tenantRow);
  // After a write: store the post as written, read at `contentVersion`, so its next view costs
  // no D1 read. Drafts are never stored.
  static void storeWrittenPost(Context& cx, const Post& post, long long contentVersion);

 private:
  Context& cx_;
  bool useCaches_;
  // The tenant row that came with the stamp (from the Cache API, the TenantDO, or D1 without
  // caches), which tenant() returns.
  std::optional<Tenant> tenantRow_;
};

}  // namespace lattice
