// embind registration of the tooling module (build/wasm/lattice-tools.mjs): the same core code as
// the Worker's wasm, for Node scripts and benchmarks, kept out of what the Worker loads (its size
// budget, scripts/lib/size-budget.sh). Seed SQL for scripts/dev and the benchmarks' catalogs, the
// markdown renderer for scripts/bench-render, SHA-256 for tooling. No policy here.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <string>

#include "blog/seed.h"
#include "core/json.h"
#include "core/sha256.h"
#include "render/markdown.h"
#include "utf8-boundary.h"

namespace {

using lattice::Json;

// {html, headings, wordCount}.
std::string renderMarkdownJson(const std::string& markdown) {
  auto r = lattice::render::renderMarkdown(markdown);
  Json headings = Json::array();
  for (const auto& h : r.headings) headings.push_back({{"level", h.level}, {"id", h.id}, {"text", h.text}});
  return lattice::dumpJson({{"ok", r.ok}, {"html", r.html}, {"headings", headings}, {"wordCount", r.wordCount}});
}

// The rendered HTML alone: what a caller that needs no headings or word count pays, with no JSON
// built in C++ or parsed in JS. Through embind's std::string conversion, and through the UTF-8
// boundary the Worker's Engine uses (Module.renderMarkdownHtml, tools-bindings.js):
// scripts/bench-render measures both.
std::string renderMarkdownHtmlEmbind(const std::string& markdown) {
  return lattice::render::renderMarkdown(markdown).html;
}

std::string buildSeedSqlJson(const std::string& tenantsJson, const std::string& postsJson, double now) {
  auto tenants = lattice::parseJson(tenantsJson);
  auto posts = lattice::parseJson(postsJson);
  return lattice::dumpJson(lattice::buildSeedSql(tenants ? *tenants : Json(nullptr), posts ? *posts : Json(nullptr),
                                                 static_cast<long long>(now)));
}

}  // namespace

extern "C" EMSCRIPTEN_KEEPALIVE uintptr_t lattice_render_markdown_html(uintptr_t markdown, uint32_t size) {
  using namespace lattice::bindings;
  return utf8Result(lattice::render::renderMarkdown(utf8Input(markdown, size)).html);
}

EMSCRIPTEN_BINDINGS(lattice_tools) {
  emscripten::function("renderMarkdown", &renderMarkdownJson);
  emscripten::function("renderMarkdownHtmlEmbind", &renderMarkdownHtmlEmbind);
  emscripten::function("buildSeedSql", &buildSeedSqlJson);
  emscripten::function("sha256Hex", emscripten::optional_override([](const std::string& s) {
                         return lattice::sha256Hex(s);
                       }));
}
