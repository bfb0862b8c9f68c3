// embind registration only: the JS shim sees an Engine that takes and returns JSON strings (one
// coarse call per step, no per-field `val` traffic), plus a few tooling functions. No policy here.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <memory>
#include <string>

#include "app/config.h"
#include "app/engine.h"
#include "blog/seed.h"
#include "core/json.h"
#include "core/sha256.h"
#include "durable/sql.h"
#include "render/markdown.h"

namespace {

using lattice::Json;

Json parseOrNull(const std::string& s) {
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
  std::string begin(const std::string& envelopeJson) {
    return lattice::dumpJson(engine_.begin(parseOrNull(envelopeJson)));
  }
  std::string beginObject(const std::string& envelopeJson, emscripten::val sqlExec) {
    return lattice::dumpJson(engine_.beginObject(parseOrNull(envelopeJson), std::make_unique<JsSql>(std::move(sqlExec))));
  }
  std::string resume(double id, const std::string& resultJson) {
    return lattice::dumpJson(engine_.resume(static_cast<long long>(id), parseOrNull(resultJson)));
  }
  void cancel(double id) { engine_.cancel(static_cast<long long>(id)); }
  double activeCount() const { return static_cast<double>(engine_.activeCount()); }

 private:
  lattice::Engine engine_;
};

// {html, headings, wordCount} for tooling and benchmarks.
std::string renderMarkdownJson(const std::string& markdown) {
  auto r = lattice::render::renderMarkdown(markdown);
  Json headings = Json::array();
  for (const auto& h : r.headings) headings.push_back({{"level", h.level}, {"id", h.id}, {"text", h.text}});
  return lattice::dumpJson({{"ok", r.ok}, {"html", r.html}, {"headings", headings}, {"wordCount", r.wordCount}});
}

// The rendered HTML alone: what a caller that needs no headings or word count pays, with no JSON
// built in C++ or parsed in JS (scripts/bench-render measures both entry points).
std::string renderMarkdownHtml(const std::string& markdown) {
  return lattice::render::renderMarkdown(markdown).html;
}

std::string buildSeedSqlJson(const std::string& tenantsJson, const std::string& postsJson, double now) {
  return lattice::dumpJson(
      lattice::buildSeedSql(parseOrNull(tenantsJson), parseOrNull(postsJson), static_cast<long long>(now)));
}

}  // namespace

EMSCRIPTEN_BINDINGS(lattice) {
  emscripten::class_<EngineHandle>("Engine")
      .constructor<const std::string&>()
      .function("begin", &EngineHandle::begin)
      .function("beginObject", &EngineHandle::beginObject)
      .function("resume", &EngineHandle::resume)
      .function("cancel", &EngineHandle::cancel)
      .function("activeCount", &EngineHandle::activeCount);
  emscripten::function("renderMarkdown", &renderMarkdownJson);
  emscripten::function("renderMarkdownHtml", &renderMarkdownHtml);
  emscripten::function("buildSeedSql", &buildSeedSqlJson);
  emscripten::function("sha256Hex", emscripten::optional_override([](const std::string& s) {
                         return lattice::sha256Hex(s);
                       }));
}
