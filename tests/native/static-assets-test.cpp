// The pages' scripts and styles are Workers Static Assets: the wasm build publishes web/'s .js
// and .css files at the URLs the pages name (cmake/embed-assets.cmake, wrangler.toml [assets]),
// and Cloudflare's asset layer answers them before the Worker runs. Here: every script and
// stylesheet a page of the core names is one of those files, every one of them is named by a
// page, the core itself answers none of them, and live.js follows the house rules. That the asset
// layer serves them (types, nosniff, ETag and 304) is tests/worker/pages.test.mjs.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "test-driver.h"

#ifndef LATTICE_SOURCE_DIR
#error "LATTICE_SOURCE_DIR must be defined by CMake"
#endif

using lattice::HttpResponse;
using lattice::Json;
using lattice::testing::has;
using lattice::testing::TestWorld;

namespace fs = std::filesystem;

namespace {

const std::string kDemo = "demo.localhost:8787";
const std::string kMain = "localhost:8787";

// The published folders and their URL prefixes, as CMakeLists.txt's publish_assets() names them.
const std::map<std::string, std::string> kPublished = {{"admin", "web/admin"}, {"meadow", "web/meadow"}, {"assets", "web/live"}};

std::string sourceOf(const std::string& relative) {
  std::ifstream in(fs::path(LATTICE_SOURCE_DIR) / relative, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), relative);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The URLs of the scripts and stylesheets `html` loads.
std::set<std::string> loadedBy(const std::string& html) {
  std::set<std::string> urls;
  static const std::regex tag(R"re(<script[^>]*\ssrc="([^"]*)"|<link[^>]*\srel="stylesheet"[^>]*\shref="([^"]*)")re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tag); it != std::sregex_iterator(); ++it)
    urls.insert((*it)[1].matched ? (*it)[1].str() : (*it)[2].str());
  return urls;
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("static assets: what the pages load is exactly web/'s published files, and the core answers none of them") {
  TestWorld w;
  const std::string tenant = w.addTenant("demo", "Demo Blog");
  const std::string token = w.mintToken(tenant);
  Json post = {{"slug", "hello"}, {"title", "Hello"}, {"markdown", "Hi."}, {"status", "published"}};
  REQUIRE(w.api("POST", kDemo, "/api/posts", token, post).status == 201);

  std::set<std::string> loaded;
  for (const auto& [host, path] : std::vector<std::pair<std::string, std::string>>{
           {kDemo, "/blog/hello"}, {kDemo, "/admin"}, {kDemo, "/admin/stats"}, {kMain, "/meadow"}}) {
    CAPTURE(path);
    HttpResponse page = w.request("GET", host, path);
    REQUIRE(page.status == 200);
    const auto urls = loadedBy(page.body);
    CHECK(!urls.empty());
    loaded.insert(urls.begin(), urls.end());
  }
  std::set<std::string> published;
  for (const auto& [prefix, folder] : kPublished)
    for (const auto& entry : fs::directory_iterator(fs::path(LATTICE_SOURCE_DIR) / folder)) {
      const std::string ext = entry.path().extension().string();
      if (ext == ".js" || ext == ".css") published.insert("/" + prefix + "/" + entry.path().filename().string());
    }
  auto joined = [](const std::set<std::string>& s) {
    std::string out;
    for (const auto& x : s) out += x + " ";
    return out;
  };
  CHECK(joined(loaded) == joined(published));
  CHECK(published.size() == 8);
  for (const std::string& url : published) {
    CAPTURE(url);
    const std::string& host = url.rfind("/meadow/", 0) == 0 ? kMain : kDemo;
    CHECK(w.request("GET", host, url).status == 404);
  }
}

TEST_CASE("static assets: live.js follows the house rules (no HTML parsing but the server's comment html, no eval)") {
  const std::string js = sourceOf("web/live/live.js");
  CHECK(count(js, "innerHTML") == 1);
  CHECK(has(js, "body.innerHTML = typeof c.html === \"string\" ? c.html : \"\""));
  for (const char* banned : {"outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setTimeout(\"",
                             "http://", "https://", "document.cookie"}) {
    CAPTURE(banned);
    CHECK(!has(js, banned));
  }
  // The contract's names, spelled as the API spells them.
  for (const char* name : {"\"lattice.reader\"", "/api/readers", "/reactions", "/comments?", "/live`",
                           "'{\"type\":\"ping\"}'", "reading now"}) {
    CAPTURE(name);
    CHECK(has(js, name));
  }
}

