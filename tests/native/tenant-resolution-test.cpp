// Which tenant a Host names (resolveHost) and the deployment configuration (Config::fromVars).
#include <doctest/doctest.h>

#include <string>

#include "app/config.h"
#include "blog/tenant.h"

using lattice::Config;
using lattice::HostTarget;
using lattice::Json;
using lattice::resolveHost;

namespace {

using Kind = HostTarget::Kind;

void expectTenant(const std::string& host, const std::string& base, const std::string& subdomain) {
  INFO("host '" << host << "' base '" << base << "'");
  HostTarget t = resolveHost(host, base);
  CHECK(t.kind == Kind::Tenant);
  CHECK(t.subdomain == subdomain);
}

void expectKind(const std::string& host, const std::string& base, Kind kind) {
  INFO("host '" << host << "' base '" << base << "'");
  HostTarget t = resolveHost(host, base);
  CHECK(t.kind == kind);
  CHECK(t.subdomain.empty());
}

}  // namespace

TEST_CASE("tenant-resolution: a subdomain of the base domain is a tenant, with or without a port") {
  expectTenant("demo.localhost:8787", "localhost", "demo");
  expectTenant("demo.localhost", "localhost", "demo");
  expectTenant("demo.localhost:80", "localhost", "demo");
  expectTenant("my-blog-2.localhost:8787", "localhost", "my-blog-2");
  expectTenant("0.localhost", "localhost", "0");
  expectTenant("xn--dmo-bma.localhost", "localhost", "xn--dmo-bma");  // punycode is plain ASCII
}

TEST_CASE("tenant-resolution: hosts are case-insensitive and may end in a dot") {
  expectTenant("DEMO.LocalHost:8787", "localhost", "demo");
  expectTenant("Demo.localhost", "localhost", "demo");
  expectTenant("demo.localhost.", "localhost", "demo");
  expectTenant("demo.localhost.:8787", "localhost", "demo");
  expectKind("LOCALHOST.", "localhost", Kind::Main);
  expectKind("LocalHost:8787", "localhost", Kind::Main);
}

TEST_CASE("tenant-resolution: the base domain alone is the main host") {
  expectKind("localhost", "localhost", Kind::Main);
  expectKind("localhost:8787", "localhost", Kind::Main);
  expectKind("localhost.", "localhost", Kind::Main);
  expectKind("example.com", "example.com", Kind::Main);
  expectKind("example.com:443", "example.com", Kind::Main);
}

TEST_CASE("tenant-resolution: nested subdomains are unknown, never a tenant") {
  expectKind("a.b.localhost", "localhost", Kind::Unknown);
  expectKind("a.demo.localhost:8787", "localhost", Kind::Unknown);
  expectKind("www.demo.example.com", "example.com", Kind::Unknown);
  expectKind("demo..localhost", "localhost", Kind::Unknown);
  expectKind(".localhost", "localhost", Kind::Unknown);
  expectKind("..localhost", "localhost", Kind::Unknown);
}

TEST_CASE("tenant-resolution: invalid labels are unknown") {
  expectKind("-demo.localhost", "localhost", Kind::Unknown);
  expectKind("demo-.localhost", "localhost", Kind::Unknown);
  expectKind("-.localhost", "localhost", Kind::Unknown);
  expectKind("de_mo.localhost", "localhost", Kind::Unknown);
  expectKind("de mo.localhost", "localhost", Kind::Unknown);
  expectKind("démo.localhost", "localhost", Kind::Unknown);
  expectKind("demo%2e.localhost", "localhost", Kind::Unknown);
  expectKind("de\"mo.localhost", "localhost", Kind::Unknown);
  expectKind("de/mo.localhost", "localhost", Kind::Unknown);
  expectKind(std::string(64, 'a') + ".localhost", "localhost", Kind::Unknown);
  expectTenant(std::string(63, 'a') + ".localhost", "localhost", std::string(63, 'a'));
  expectTenant("a-b--c.localhost", "localhost", "a-b--c");
}

TEST_CASE("tenant-resolution: other domains and look-alikes are unknown") {
  expectKind("evil.com", "localhost", Kind::Unknown);
  expectKind("evil.com:8787", "localhost", Kind::Unknown);
  expectKind("", "localhost", Kind::Unknown);
  expectKind(":8787", "localhost", Kind::Unknown);
  expectKind("xlocalhost", "localhost", Kind::Unknown);
  expectKind("demolocalhost", "localhost", Kind::Unknown);
  expectKind("demo.localhost.evil.com", "localhost", Kind::Unknown);
  expectKind("localhost.evil.com", "localhost", Kind::Unknown);
  expectKind("demo.localhost:8787.evil.com", "localhost", Kind::Unknown);
  expectKind("127.0.0.1:8787", "localhost", Kind::Unknown);
  expectKind("[::1]:8787", "localhost", Kind::Unknown);
  expectKind("demo.localhost@evil.com", "localhost", Kind::Unknown);
  // What follows the last colon must be a port.
  expectKind("demo.localhost:abc", "localhost", Kind::Unknown);
  expectKind("demo.localhost:80x", "localhost", Kind::Unknown);
  expectKind("localhost:8787:8787", "localhost", Kind::Unknown);
  expectTenant("demo.localhost:", "localhost", "demo");
}

TEST_CASE("tenant-resolution: a base domain like example.com") {
  const std::string base = "example.com";
  expectTenant("blog.example.com", base, "blog");
  expectTenant("blog.example.com:443", base, "blog");
  expectTenant("BLOG.Example.COM.", base, "blog");
  expectTenant("www.example.com", base, "www");
  expectKind("example.com", base, Kind::Main);
  expectKind("a.blog.example.com", base, Kind::Unknown);
  expectKind("blog.example.org", base, Kind::Unknown);
  expectKind("blog.example.com.evil.net", base, Kind::Unknown);
  expectKind("evilexample.com", base, Kind::Unknown);
  expectKind("blog.evilexample.com", base, Kind::Unknown);
  expectKind("com", base, Kind::Unknown);
  expectKind("blog.localhost", base, Kind::Unknown);
  expectKind("localhost", base, Kind::Unknown);
}

TEST_CASE("tenant-resolution: Config::fromVars defaults") {
  for (const Json& vars : {Json::object(), Json(nullptr), Json::array({"BASE_DOMAIN"}), Json("localhost"),
                           Json{{"UNRELATED", "1"}}}) {
    INFO(vars.dump());
    Config c = Config::fromVars(vars);
    CHECK(c.baseDomain == "localhost");
    CHECK_FALSE(c.dev);
    CHECK(c.postsPerPage == 10);
    CHECK(c.apiPageSize == 50);
    CHECK(c.maxMarkdownBytes == 1048576);
    CHECK(c.maxJsonOverheadBytes == 65536);
  }
}

TEST_CASE("tenant-resolution: Config::fromVars overrides") {
  Config c = Config::fromVars(Json{{"BASE_DOMAIN", "Example.COM"},
                                   {"LATTICE_DEV", "1"},
                                   {"POSTS_PER_PAGE", "5"},
                                   {"MAX_MARKDOWN_BYTES", "1000"}});
  CHECK(c.baseDomain == "example.com");
  CHECK(c.dev);
  CHECK(c.postsPerPage == 5);
  CHECK(c.maxMarkdownBytes == 1000);
  CHECK(c.apiPageSize == 50);
  CHECK(c.maxJsonOverheadBytes == 65536);

  // Numbers and booleans are accepted as well as strings.
  Config n = Config::fromVars(Json{{"LATTICE_DEV", true}, {"POSTS_PER_PAGE", 7}, {"MAX_MARKDOWN_BYTES", 2048}});
  CHECK(n.dev);
  CHECK(n.postsPerPage == 7);
  CHECK(n.maxMarkdownBytes == 2048);

  // The bounds themselves.
  CHECK(Config::fromVars(Json{{"POSTS_PER_PAGE", "1"}}).postsPerPage == 1);
  CHECK(Config::fromVars(Json{{"POSTS_PER_PAGE", "100"}}).postsPerPage == 100);
  CHECK(Config::fromVars(Json{{"MAX_MARKDOWN_BYTES", "1"}}).maxMarkdownBytes == 1);
  CHECK(Config::fromVars(Json{{"MAX_MARKDOWN_BYTES", "16777216"}}).maxMarkdownBytes == 16777216);

  // LATTICE_DEV: only an explicit yes turns it on.
  for (const Json& on : {Json("1"), Json("true"), Json("TRUE"), Json("yes"), Json("on"), Json(true), Json(1)}) {
    INFO(on.dump());
    CHECK(Config::fromVars(Json{{"LATTICE_DEV", on}}).dev);
  }
  for (const Json& off : {Json(""), Json("0"), Json("false"), Json("False"), Json("no"), Json("enable"), Json(false),
                          Json(0), Json(2.5), Json(nullptr), Json::object()}) {
    INFO(off.dump());
    CHECK_FALSE(Config::fromVars(Json{{"LATTICE_DEV", off}}).dev);
  }
}

TEST_CASE("tenant-resolution: Config::fromVars keeps the default for bad values") {
  for (const Json& bad : {Json("0"), Json("101"), Json("-3"), Json("abc"), Json("5.5"), Json(""), Json(" 5"),
                          Json("5 "), Json(5.5), Json(-3), Json(0), Json(101), Json(nullptr), Json(true),
                          Json("99999999999999999999"), Json::array({5})}) {
    INFO("POSTS_PER_PAGE " << bad.dump());
    CHECK(Config::fromVars(Json{{"POSTS_PER_PAGE", bad}}).postsPerPage == 10);
  }
  for (const Json& bad : {Json("0"), Json("16777217"), Json("-1"), Json("1MiB"), Json("1e6"), Json(""),
                          Json(1048576.5), Json(-1), Json(0), Json("9999999999999"), Json(false)}) {
    INFO("MAX_MARKDOWN_BYTES " << bad.dump());
    CHECK(Config::fromVars(Json{{"MAX_MARKDOWN_BYTES", bad}}).maxMarkdownBytes == 1048576);
  }
  for (const Json& bad : {Json(""), Json(5), Json(nullptr), Json::array()}) {
    INFO("BASE_DOMAIN " << bad.dump());
    CHECK(Config::fromVars(Json{{"BASE_DOMAIN", bad}}).baseDomain == "localhost");
  }
  // One bad value does not spoil the others.
  Config c = Config::fromVars(
      Json{{"POSTS_PER_PAGE", "x"}, {"MAX_MARKDOWN_BYTES", "4096"}, {"BASE_DOMAIN", "blogs.test"}});
  CHECK(c.postsPerPage == 10);
  CHECK(c.maxMarkdownBytes == 4096);
  CHECK(c.baseDomain == "blogs.test");
}

TEST_CASE("tenant-resolution: the configured base domain decides which hosts are tenants") {
  Config c = Config::fromVars(Json{{"BASE_DOMAIN", "Blogs.Example.COM"}});
  REQUIRE(c.baseDomain == "blogs.example.com");
  expectTenant("demo.blogs.example.com", c.baseDomain, "demo");
  expectKind("blogs.example.com:443", c.baseDomain, Kind::Main);
  expectKind("demo.example.com", c.baseDomain, Kind::Unknown);
  expectKind("demo.localhost", c.baseDomain, Kind::Unknown);
}
