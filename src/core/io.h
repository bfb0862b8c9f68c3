// The effect boundary. The core performs no IO: anything that touches the outside world is an
// *effect*, a JSON object the core yields to a driver (the worker shim's interpreter in wasm, the
// test driver natively), which performs it and resumes the core with a JSON result.
//
// Effect kinds and result shapes (the contract every driver implements):
//   d1.query  {binding, sql, params, coalesce?} -> {ok, rows:[{col:val}], meta:{rows_read, rows_written, changes, last_row_id}}
//   d1.batch  {binding, statements:[{sql, params}], coalesce?} -> {ok, results:[{rows, meta}]}  (one transaction)
//   kv.get    {binding, key}                  -> {ok, value: string|null}
//   kv.put    {binding, key, value, ttl?}     -> {ok}
//   kv.delete {binding, key}                  -> {ok}
//   r2.get    {binding, key}                  -> {ok, value: string|null}
//   r2.head   {binding, key}                  -> {ok, exists, size}
//   r2.put    {binding, key, value}           -> {ok}
//   r2.delete {binding, key}                  -> {ok}
//   cache.match  {url}                        -> {ok, response: {status, headers, body}|null}
//   cache.put    {url, response}              -> {ok}
//   cache.delete {url}                        -> {ok, deleted}
//   do.call   {binding, name, request:{method, path, headers, body}} -> {ok, response}
//   do.connect {binding, name, path, headers} -> {ok, status}: the Worker's own request (a
//             WebSocket upgrade) goes to the object with these headers added; when the object
//             answers 101 the Worker's response is the object's, socket and all (the core then
//             answers 101 too), else `status` and `body` tell why
//   body.read {max}                           -> {ok, text, truncated}   (request body, at most max bytes)
//   metrics.read {}                           -> {ok, counters:{...}}
//   respond   {response}                      -> {ok}   the response is sent now; the core goes
//                                                       on with work after it (ctx.waitUntil)
// Any failure is {ok:false, error:"message"}. Fire-and-forget effects (log, metric) do not
// suspend: they ride along with the next step as "emits".
#pragma once

#include <coroutine>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/task.h"

namespace lattice {

// One SQL statement with positional parameters (?1, ?2 ... or ?).
struct SqlStatement {
  std::string sql;
  Json params = Json::array();
};

// The outcome of one D1 statement.
struct D1Result {
  bool ok = false;
  std::string error;
  Json rows = Json::array();
  long long rowsRead = 0;
  long long rowsWritten = 0;
  long long changes = 0;
};

// The outcome of a D1 batch: all statements committed, or none.
struct D1BatchResult {
  bool ok = false;
  std::string error;
  std::vector<D1Result> results;
};

// Binding names used in effects; the shim looks them up on `env` verbatim.
namespace binding {
inline constexpr const char* kDatabase = "DB";
inline constexpr const char* kCacheKv = "CACHE_KV";
inline constexpr const char* kContent = "CONTENT";
inline constexpr const char* kTenants = "TENANT_DO";
inline constexpr const char* kPostMeta = "POST_META_DO";
inline constexpr const char* kPostContent = "POST_CONTENT_DO";
inline constexpr const char* kLimiter = "LIMITER_DO";
inline constexpr const char* kFeeds = "FEED_DO";
}  // namespace binding

class Io {
 public:
  // Suspends the calling coroutine until the driver has performed `effect`; yields its result.
  struct EffectAwaiter {
    Io& io;
    Json effect;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept {
      io.pending_ = std::move(effect);
      io.waiting_ = h;
    }
    Json await_resume() noexcept { return std::move(io.result_); }
  };
  EffectAwaiter perform(Json effect) { return EffectAwaiter{*this, std::move(effect)}; }

  // Fire-and-forget effects, delivered with the next step.
  void log(std::string_view level, std::string_view message, Json fields = Json::object());
  void metric(std::string_view name, double value = 1);

  // `coalesce`, when set, names what the statement reads: the driver may answer concurrent
  // identical reads (same name) in one isolate with a single D1 query.
  Task<D1Result> query(SqlStatement statement, std::string coalesce = {});
  Task<D1BatchResult> batch(std::vector<SqlStatement> statements, std::string coalesce = {});

  // D1 queries and batches this Io has asked for so far (one request or object event): what a
  // post view reports to the dashboard's counters (GET /api/stats).
  long long d1Calls() const { return d1Calls_; }

  // The driver side (Session): what the core is waiting for, and how to resume it.
  bool hasPending() const { return waiting_ != nullptr; }
  Json takePending() { return std::move(pending_); }
  Json takeEmits() { return std::exchange(emits_, Json::array()); }
  void resume(Json result);

 private:
  Json pending_;
  Json result_;
  Json emits_ = Json::array();
  std::coroutine_handle<> waiting_;
  long long d1Calls_ = 0;
};

// Parses a driver's d1.query result (exposed for tests).
D1Result parseD1Result(const Json& result);

}  // namespace lattice
