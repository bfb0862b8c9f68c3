// embind registration only: the JS shim sees an Engine that takes and returns JSON strings (one
// coarse call per step, no per-field `val` traffic), which cross the boundary as UTF-8 in wasm
// memory (utf8-boundary.h; worker-shim/engine.mjs wraps each call in Module.utf8Call). No policy
// here. This is all the Worker's wasm exports; tooling (seed, benchmarks) has its own module,
// bindings/tools-bindings.cpp.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <memory>
#include <string>

#include "app/config.h"
#include "app/engine.h"
#include "core/json.h"
#include "durable/sql.h"
#include "utf8-boundary.h"

namespace {

using lattice::Json;
using lattice::bindings::utf8Input;
using lattice::bindings::utf8Result;

Json parseOrNull(std::string_view s) {
  auto j = lattice::parseJson(s);
  return j ? *j : Json(nullptr);
}

// A Durable Object's storage as the core's Sql: `exec` is a JS function (sql, paramsJson) ->
// resultJson over ctx.storage.sql (worker-shim/durable-objects.mjs). One call per statement.
class JsSql : public lattice::Sql {
 public:
  explicit JsSql(emscripten::val exec) : exec_(std::move(exec)) {}
  using lattice::Sql::exec;
  lattice::SqlRows exec(std::string_view sql, const Json& params) override {
    std::string text = exec_(std::string(sql), lattice::dumpJson(params)).as<std::string>();
    Json r = parseOrNull(text);
    lattice::SqlRows out;
    out.ok = lattice::jsonBool(r, "ok");
    out.error = lattice::jsonString(r, "error");
    if (out.ok && r.contains("rows") && r["rows"].is_array()) out.rows = std::move(r["rows"]);
    if (!out.ok && out.error.empty()) out.error = "sql failed";
    return out;
  }

 private:
  emscripten::val exec_;
};

class EngineHandle {
 public:
  explicit EngineHandle(const std::string& varsJson)
      : engine_(lattice::Config::fromVars(parseOrNull(varsJson))) {}
  // Each takes its JSON as (address, size) and returns the address of the answer's Utf8View.
  uintptr_t begin(uintptr_t envelope, uint32_t size) {
    return utf8Result(lattice::dumpJson(engine_.begin(parseOrNull(utf8Input(envelope, size)))));
  }
  uintptr_t beginObject(uintptr_t envelope, uint32_t size, emscripten::val sqlExec) {
    auto sql = std::make_unique<JsSql>(std::move(sqlExec));
    return utf8Result(lattice::dumpJson(engine_.beginObject(parseOrNull(utf8Input(envelope, size)), std::move(sql))));
  }
  uintptr_t resume(double id, uintptr_t result, uint32_t size) {
    return utf8Result(lattice::dumpJson(engine_.resume(static_cast<long long>(id), parseOrNull(utf8Input(result, size)))));
  }
  void cancel(double id) { engine_.cancel(static_cast<long long>(id)); }

 private:
  lattice::Engine engine_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(lattice) {
  emscripten::class_<EngineHandle>("Engine")
      .constructor<const std::string&>()
      .function("begin", &EngineHandle::begin)
      .function("beginObject", &EngineHandle::beginObject)
      .function("resume", &EngineHandle::resume)
      .function("cancel", &EngineHandle::cancel);
}
