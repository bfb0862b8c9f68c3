// Every error code of the owner API, asserted exactly (status, code and field), and for each one
// that the database is left exactly as it was: a rejected write changes nothing.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "test-driver.h"

using lattice::HttpResponse;
using lattice::Json;
using lattice::testing::TestWorld;
using lattice::testing::errorOf;

namespace {

const std::string kDemo = "demo.localhost:8787";
constexpr size_t kMiB = 1 << 20;
constexpr size_t kBodyAllowance = 64 << 10;


// Everything a rejected write could have touched, so "nothing changed" is one comparison.
struct DbState {
  long long posts = 0, postTags = 0;
  Json existingRow;  // version and updated_at of the fixture's post
  Json allPosts, allTags, tenants;
  bool operator==(const DbState&) const = default;
};

// A demo tenant with one post "existing" (tags a, b) at version 1, a second post "second", and a
// clock moved on so that any write would show in updated_at.
struct Fixture {
  TestWorld w;
  std::string tenant, token;

  explicit Fixture(Json vars = {{"BASE_DOMAIN", "localhost"}, {"LATTICE_DEV", "1"}}) : w(std::move(vars)) {
    tenant = w.addTenant("demo", "Demo Blog");
    token = w.mintToken(tenant);
    auto a = post(Json{{"slug", "existing"}, {"title", "Existing"}, {"markdown", "Body"}, {"tags", {"a", "b"}},
                       {"status", "published"}});
    REQUIRE(a.status == 201);
    auto b = post(Json{{"slug", "second"}, {"title", "Second"}, {"markdown", "Two"}});
    REQUIRE(b.status == 201);
    w.now += 60'000;
  }

  HttpResponse post(const Json& body) { return w.api("POST", kDemo, "/api/posts", token, body); }
  HttpResponse put(const std::string& slug, const Json& body) {
    return w.api("PUT", kDemo, "/api/posts/" + slug, token, body);
  }
  // A request with the owner's token and an arbitrary raw body and content type.
  HttpResponse raw(const std::string& method, const std::string& path, const std::string& body,
                   const std::string& contentType = "application/json") {
    std::map<std::string, std::string> headers{{"authorization", "Bearer " + token}};
    if (!contentType.empty()) headers["content-type"] = contentType;
    return w.request(method, kDemo, path, headers, body);
  }

  DbState state() {
    DbState s;
    s.posts = w.count("posts");
    s.postTags = w.count("post_tags");
    s.existingRow = w.sql("SELECT version, updated_at FROM posts WHERE slug = 'existing'");
    s.allPosts = w.sql("SELECT * FROM posts ORDER BY id");
    s.allTags = w.sql("SELECT * FROM post_tags ORDER BY post_id, tag");
    s.tenants = w.sql("SELECT id, content_version, updated_at FROM tenants ORDER BY id");
    return s;
  }

  // Sends a request that must be rejected with exactly (status, code, field) and change nothing.
  // An empty `field` asserts that the error names no field.
  void rejects(const std::function<HttpResponse()>& send, int status, const std::string& code,
               const std::string& field = "") {
    const DbState before = state();
    HttpResponse r = send();
    INFO("response " << r.status << ": " << r.body.substr(0, 300));
    Json e = errorOf(r);
    CHECK(r.status == status);
    CHECK(e.value("code", "") == code);
    if (field.empty()) {
      CHECK_FALSE(e.contains("field"));
    } else {
      CHECK(e.value("field", "") == field);
    }
    CHECK(e.value("message", "") != "");
    CHECK(r.header("content-type") == "application/json; charset=utf-8");
    CHECK(r.header("cache-control") == "private, no-store");
    const DbState after = state();
    CHECK(after.posts == before.posts);
    CHECK(after.postTags == before.postTags);
    CHECK(after.existingRow == before.existingRow);
    CHECK(after == before);
  }
  void rejectsCreate(const Json& body, int status, const std::string& code, const std::string& field = "") {
    INFO("POST body: " << body.dump().substr(0, 200));
    rejects([&] { return post(body); }, status, code, field);
  }
  void rejectsUpdate(const Json& body, int status, const std::string& code, const std::string& field = "") {
    INFO("PUT body: " << body.dump().substr(0, 200));
    rejects([&] { return put("existing", body); }, status, code, field);
  }
};

Json validPost(const std::string& slug = "fresh") {
  return Json{{"slug", slug}, {"title", "Fresh"}, {"markdown", "Text"}};
}

}  // namespace

TEST_CASE("api-validation: request.unsupported_media_type (415) for a missing or wrong content type") {
  Fixture f;
  const std::string body = validPost().dump();
  for (std::string type : {"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                           "application/jsonp", "application/json-patch+json", "text/json"}) {
    INFO("content-type: '" << type << "'");
    f.rejects([&] { return f.raw("POST", "/api/posts", body, type); }, 415, "request.unsupported_media_type");
    f.rejects([&] { return f.raw("PUT", "/api/posts/existing", R"({"title":"x"})", type); }, 415,
              "request.unsupported_media_type");
  }
}

TEST_CASE("api-validation: JSON content type with parameters and in any case is accepted") {
  Fixture f;
  CHECK(f.raw("POST", "/api/posts", validPost("one").dump(), "application/json; charset=utf-8").status == 201);
  CHECK(f.raw("POST", "/api/posts", validPost("two").dump(), "application/json;charset=UTF-8").status == 201);
  // Media types are case-insensitive (RFC 9110 §8.3.1).
  CHECK(f.raw("POST", "/api/posts", validPost("three").dump(), "Application/JSON").status == 201);
  CHECK(f.w.count("posts") == 5);
}

TEST_CASE("api-validation: request.too_large (413) for a body over MAX_MARKDOWN_BYTES + 64 KiB") {
  Fixture f;
  const size_t max = kMiB + kBodyAllowance;
  // A body of exactly the bound is read whole (its markdown alone is then too large)...
  std::string prefix = R"({"slug":"big","title":"Big","markdown":")";
  std::string atBound = prefix + std::string(max - prefix.size() - 2, 'a') + "\"}";
  REQUIRE(atBound.size() == max);
  f.rejects([&] { return f.raw("POST", "/api/posts", atBound); }, 413, "post.markdown_too_large", "markdown");
  // ...and one byte more is refused before parsing.
  std::string over = prefix + std::string(max - prefix.size() - 1, 'a') + "\"}";
  REQUIRE(over.size() == max + 1);
  f.rejects([&] { return f.raw("POST", "/api/posts", over); }, 413, "request.too_large");
  f.rejects([&] { return f.raw("PUT", "/api/posts/existing", over); }, 413, "request.too_large");
  // Too large is decided before parsing: even a body that is not JSON at all.
  f.rejects([&] { return f.raw("POST", "/api/posts", std::string(max + 10, '{')); }, 413, "request.too_large");
}

TEST_CASE("api-validation: request.too_large follows a smaller MAX_MARKDOWN_BYTES") {
  Fixture f(Json{{"BASE_DOMAIN", "localhost"}, {"MAX_MARKDOWN_BYTES", "1000"}});
  const size_t max = 1000 + kBodyAllowance;
  std::string big = R"({"slug":"big","title":"Big","description":")" + std::string(max, 'd') + "\"}";
  f.rejects([&] { return f.raw("POST", "/api/posts", big); }, 413, "request.too_large");
}

TEST_CASE("api-validation: request.malformed_json (400)") {
  Fixture f;
  for (std::string text : {"", "{", "{\"slug\":}", "{'slug':'x'}", "nul", "{\"slug\":\"x\",}", "{} trailing",
                           "{\"title\":\"\xff\xfe\"}", "\xef\xbb\xbf{}x"}) {
    INFO("body: " << text);
    f.rejects([&] { return f.raw("POST", "/api/posts", text); }, 400, "request.malformed_json");
    f.rejects([&] { return f.raw("PUT", "/api/posts/existing", text); }, 400, "request.malformed_json");
  }
}

TEST_CASE("api-validation: request.not_object (400) for JSON that is not an object") {
  Fixture f;
  for (std::string text : {"[]", "[{\"slug\":\"x\",\"title\":\"t\"}]", "null", "\"slug\"", "42", "true"}) {
    INFO("body: " << text);
    f.rejects([&] { return f.raw("POST", "/api/posts", text); }, 400, "request.not_object");
    f.rejects([&] { return f.raw("PUT", "/api/posts/existing", text); }, 400, "request.not_object");
  }
}

TEST_CASE("api-validation: deeply nested JSON is refused without crashing") {
  Fixture f;
  const size_t depth = 200'000;  // well inside the body bound
  std::string nestedArray = std::string(depth, '[') + std::string(depth, ']');
  f.rejects([&] { return f.raw("POST", "/api/posts", nestedArray); }, 400, "request.malformed_json");
  std::string inGutter = R"({"slug":"deep","title":"Deep","gutter":[{"a":)" + nestedArray + "}]}";
  f.rejects([&] { return f.raw("POST", "/api/posts", inGutter); }, 400, "request.malformed_json");
  // The bound is 64 levels, counting the body object itself; brackets inside strings do not count.
  auto gutterAt = [](const std::string& slug, int depth) {  // total nesting depth of the body
    return R"({"slug":")" + slug + R"(","title":"[[[{{{","gutter":[{"a":)" + std::string(depth - 3, '[') +
           std::string(depth - 3, ']') + "}]}";
  };
  f.rejects([&] { return f.raw("POST", "/api/posts", gutterAt("d65", 65)); }, 400, "request.malformed_json");
  CHECK(f.raw("POST", "/api/posts", gutterAt("d64", 64)).status == 201);
  // Ordinary nesting is fine.
  Json gutter = Json::array({Json{{"kind", "note"}, {"items", Json::array({Json::array({1, 2}), Json::object()})}}});
  CHECK(f.post(Json{{"slug", "shallow"}, {"title", "Shallow"}, {"gutter", gutter}}).status == 201);
}

TEST_CASE("api-validation: request.unknown_field names the field") {
  Fixture f;
  Json body = validPost();
  body["colour"] = "red";
  f.rejectsCreate(body, 400, "request.unknown_field", "colour");
  // Server-owned columns are not writable either.
  for (const char* key : {"html", "id", "tenant_id", "content_hash", "created_at", "updated_at", "Slug"}) {
    Json b = validPost();
    b[key] = "x";
    f.rejectsCreate(b, 400, "request.unknown_field", key);
  }
  f.rejectsUpdate(Json{{"title", "New"}, {"html", "<script>x</script>"}}, 400, "request.unknown_field", "html");
}

TEST_CASE("api-validation: post.slug_missing on create") {
  Fixture f;
  f.rejectsCreate(Json{{"title", "No slug"}, {"markdown", "x"}}, 400, "post.slug_missing", "slug");
  f.rejectsCreate(Json::object(), 400, "post.slug_missing", "slug");
}

TEST_CASE("api-validation: post.slug_invalid") {
  Fixture f;
  const Json bad[] = {"Hello",  "hello world", std::string(101, 'a'), "", 5, nullptr, true, Json::array({"a"}),
                      "héllo", "a/b",         "../x",                "a_b", "a.b", " a", "a\n"};
  for (const Json& slug : bad) {
    Json body = validPost();
    body["slug"] = slug;
    f.rejectsCreate(body, 400, "post.slug_invalid", "slug");
    f.rejectsUpdate(Json{{"slug", slug}}, 400, "post.slug_invalid", "slug");
  }
  // The bounds themselves are fine.
  CHECK(f.post(validPost(std::string(100, 'a'))).status == 201);
  CHECK(f.post(validPost("a")).status == 201);
  CHECK(f.post(validPost("2026-notes-v2")).status == 201);
}

TEST_CASE("api-validation: post.title_missing for an absent, empty or blank title") {
  Fixture f;
  f.rejectsCreate(Json{{"slug", "x"}, {"markdown", "y"}}, 400, "post.title_missing", "title");
  for (std::string title : {"", " ", "   \t\n\r  "}) {
    f.rejectsCreate(Json{{"slug", "x"}, {"title", title}}, 400, "post.title_missing", "title");
    f.rejectsUpdate(Json{{"title", title}}, 400, "post.title_missing", "title");
  }
}

TEST_CASE("api-validation: post.title_invalid for a non-string or a title over 200 characters") {
  Fixture f;
  for (const Json& title : {Json(42), Json(nullptr), Json(false), Json::array({"t"}), Json::object(),
                            Json(std::string(201, 't'))}) {
    f.rejectsCreate(Json{{"slug", "x"}, {"title", title}}, 400, "post.title_invalid", "title");
    f.rejectsUpdate(Json{{"title", title}}, 400, "post.title_invalid", "title");
  }
  // Characters, not bytes: 201 two-byte characters are too many, 200 are fine; surrounding
  // whitespace does not count.
  std::string e201, e200;
  for (int i = 0; i < 201; ++i) e201 += "é";
  for (int i = 0; i < 200; ++i) e200 += "é";
  f.rejectsCreate(Json{{"slug", "x"}, {"title", e201}}, 400, "post.title_invalid", "title");
  CHECK(f.post(Json{{"slug", "wide"}, {"title", e200}}).status == 201);
  CHECK(f.post(Json{{"slug", "padded"}, {"title", "  " + std::string(200, 't') + "  "}}).status == 201);
}

TEST_CASE("api-validation: post.description_invalid") {
  Fixture f;
  for (const Json& d : {Json(5), Json(nullptr), Json::array(), Json(std::string(501, 'd'))}) {
    Json body = validPost();
    body["description"] = d;
    f.rejectsCreate(body, 400, "post.description_invalid", "description");
    f.rejectsUpdate(Json{{"description", d}}, 400, "post.description_invalid", "description");
  }
  Json ok = validPost("described");
  ok["description"] = std::string(500, 'd');
  CHECK(f.post(ok).status == 201);
}

TEST_CASE("api-validation: post.tags_invalid") {
  Fixture f;
  Json eleven = Json::array();
  for (int i = 0; i < 11; ++i) eleven.push_back("t" + std::to_string(i));
  const Json bad[] = {"a",
                      Json::object(),
                      nullptr,
                      eleven,
                      Json::array({"Bad"}),
                      Json::array({"with space"}),
                      Json::array({""}),
                      Json::array({std::string(41, 't')}),
                      Json::array({"ok", "tag_underscore"}),
                      Json::array({"ok", 5}),
                      Json::array({nullptr}),
                      Json::array({Json::array({"a"})}),
                      Json::array({"émoji"})};
  for (const Json& tags : bad) {
    Json body = validPost();
    body["tags"] = tags;
    f.rejectsCreate(body, 400, "post.tags_invalid", "tags");
    f.rejectsUpdate(Json{{"tags", tags}}, 400, "post.tags_invalid", "tags");
  }
  // Ten tags of 40 characters are fine; duplicates collapse.
  Json ten = Json::array();
  for (int i = 0; i < 10; ++i) ten.push_back(std::string(39, 't') + std::to_string(i));
  Json ok = validPost("tagged");
  ok["tags"] = ten;
  CHECK(f.post(ok).status == 201);
  Json dup = validPost("dups");
  dup["tags"] = Json::array({"x", "x", "y"});
  auto r = f.post(dup);
  REQUIRE(r.status == 201);
  CHECK((*lattice::parseJson(r.body))["post"]["tags"] == Json::array({"x", "y"}));
}

TEST_CASE("api-validation: post.markdown_invalid for a non-string") {
  Fixture f;
  for (const Json& md : {Json(5), Json(nullptr), Json::array({"# x"}), Json::object()}) {
    Json body = validPost();
    body["markdown"] = md;
    f.rejectsCreate(body, 400, "post.markdown_invalid", "markdown");
    f.rejectsUpdate(Json{{"markdown", md}}, 400, "post.markdown_invalid", "markdown");
  }
}

TEST_CASE("api-validation: post.markdown_too_large (413) with a small MAX_MARKDOWN_BYTES") {
  Fixture f(Json{{"BASE_DOMAIN", "localhost"}, {"MAX_MARKDOWN_BYTES", "1000"}});
  Json body = validPost("limit");
  body["markdown"] = std::string(1001, 'm');
  f.rejectsCreate(body, 413, "post.markdown_too_large", "markdown");
  f.rejectsUpdate(Json{{"markdown", std::string(1001, 'm')}}, 413, "post.markdown_too_large", "markdown");
  // Bytes, not characters: 501 two-byte characters are 1002 bytes.
  std::string wide;
  for (int i = 0; i < 501; ++i) wide += "é";
  body["markdown"] = wide;
  f.rejectsCreate(body, 413, "post.markdown_too_large", "markdown");
  body["markdown"] = std::string(1000, 'm');
  CHECK(f.post(body).status == 201);
  CHECK(f.put("existing", Json{{"markdown", std::string(1000, 'n')}}).status == 200);
}

TEST_CASE("api-validation: post.markdown_too_large at the default 1 MiB: exactly 1 MiB is accepted") {
  Fixture f;
  Json exact = validPost("exact");
  exact["markdown"] = std::string(kMiB, 'a');
  auto created = f.post(exact);
  CHECK(created.status == 201);
  CHECK(lattice::jsonInt(f.w.sql("SELECT length(markdown) AS n FROM posts WHERE slug = 'exact'")[0], "n") == kMiB);

  Json over = validPost("over");
  over["markdown"] = std::string(kMiB + 1, 'a');
  REQUIRE(over.dump().size() < kMiB + kBodyAllowance);  // the body itself is within its bound
  f.rejectsCreate(over, 413, "post.markdown_too_large", "markdown");
  f.rejectsUpdate(Json{{"markdown", std::string(kMiB + 1, 'a')}}, 413, "post.markdown_too_large", "markdown");
}

TEST_CASE("api-validation: post.status_invalid") {
  Fixture f;
  for (const Json& s : {Json("public"), Json(""), Json("Draft"), Json(1), Json(nullptr), Json::array({"draft"})}) {
    Json body = validPost();
    body["status"] = s;
    f.rejectsCreate(body, 400, "post.status_invalid", "status");
    f.rejectsUpdate(Json{{"status", s}}, 400, "post.status_invalid", "status");
  }
  // The listing filter uses the same code.
  f.rejects([&] { return f.w.api("GET", kDemo, "/api/posts?status=public", f.token); }, 400, "post.status_invalid",
            "status");
}

TEST_CASE("api-validation: post.published_at_invalid") {
  Fixture f;
  for (const Json& t : {Json("yesterday"), Json("2026-02-30T00:00:00Z"), Json("2026-13-01T00:00:00Z"),
                        Json("2026-01-31T09:00:00"), Json("2026-01-31 09:00:00Z"), Json(1700000000000LL),
                        Json(""), Json::object()}) {
    Json body = validPost();
    body["published_at"] = t;
    f.rejectsCreate(body, 400, "post.published_at_invalid", "published_at");
    f.rejectsUpdate(Json{{"published_at", t}}, 400, "post.published_at_invalid", "published_at");
  }
}

TEST_CASE("api-validation: post.gutter_invalid") {
  Fixture f;
  Json many = Json::array();
  for (int i = 0; i < 101; ++i) many.push_back(Json{{"n", i}});
  Json heavy = Json::array({Json{{"text", std::string(33 * 1024, 'g')}}});
  for (const Json& g : {Json::object(), Json("notes"), Json(nullptr), Json::array({1}), Json::array({"x"}),
                        Json::array({Json::array()}), many, heavy}) {
    Json body = validPost();
    body["gutter"] = g;
    f.rejectsCreate(body, 400, "post.gutter_invalid", "gutter");
    f.rejectsUpdate(Json{{"gutter", g}}, 400, "post.gutter_invalid", "gutter");
  }
}

TEST_CASE("api-validation: post.version_invalid") {
  Fixture f;
  for (const Json& v : {Json(0), Json(-1), Json("1"), Json(1.5), Json(nullptr), Json(true)}) {
    f.rejectsUpdate(Json{{"title", "T"}, {"version", v}}, 400, "post.version_invalid", "version");
  }
  // A version on create is refused even when it is well-formed.
  Json body = validPost();
  body["version"] = 1;
  f.rejectsCreate(body, 400, "post.version_invalid", "version");
}

TEST_CASE("api-validation: post.slug_taken (409) on create and on rename") {
  Fixture f;
  f.rejectsCreate(validPost("existing"), 409, "post.slug_taken", "slug");
  f.rejectsUpdate(Json{{"slug", "second"}}, 409, "post.slug_taken", "slug");
  f.rejects([&] { return f.put("second", Json{{"slug", "existing"}, {"version", 1}}); }, 409, "post.slug_taken",
            "slug");
  // Renaming a post to its own slug is no clash, and another tenant may use the same slug.
  CHECK(f.put("existing", Json{{"slug", "existing"}}).status == 200);
  auto other = f.w.addTenant("autumn");
  auto otherToken = f.w.mintToken(other);
  CHECK(f.w.api("POST", "autumn.localhost:8787", "/api/posts", otherToken, validPost("existing")).status == 201);
}

TEST_CASE("api-validation: post.version_conflict (409)") {
  Fixture f;
  f.rejectsUpdate(Json{{"title", "Stale"}, {"version", 2}}, 409, "post.version_conflict", "version");
  REQUIRE(f.put("existing", Json{{"title", "Fresh"}, {"version", 1}}).status == 200);
  f.rejectsUpdate(Json{{"title", "Stale"}, {"version", 1}}, 409, "post.version_conflict", "version");
  CHECK(f.put("existing", Json{{"title", "Fresher"}, {"version", 2}}).status == 200);
}

TEST_CASE("api-validation: post.not_found (404) for GET, PUT and DELETE") {
  Fixture f;
  f.rejects([&] { return f.w.api("GET", kDemo, "/api/posts/nope", f.token); }, 404, "post.not_found");
  f.rejects([&] { return f.put("nope", Json{{"title", "x"}}); }, 404, "post.not_found");
  f.rejects([&] { return f.w.api("DELETE", kDemo, "/api/posts/nope", f.token); }, 404, "post.not_found");
  // A path segment that can never be a slug is simply not found.
  for (std::string path : {"/api/posts/Existing", "/api/posts/ex%20isting", "/api/posts/%C3%A9"}) {
    f.rejects([&] { return f.w.api("GET", kDemo, path, f.token); }, 404, "post.not_found");
    f.rejects([&] { return f.w.api("DELETE", kDemo, path, f.token); }, 404, "post.not_found");
  }
  // Deleted posts are gone for every method.
  REQUIRE(f.w.api("DELETE", kDemo, "/api/posts/second", f.token).status == 204);
  f.rejects([&] { return f.w.api("DELETE", kDemo, "/api/posts/second", f.token); }, 404, "post.not_found");
  f.rejects([&] { return f.put("second", Json{{"title", "Back"}}); }, 404, "post.not_found");
}

TEST_CASE("api-validation: request.method_not_allowed (405) with an Allow header") {
  Fixture f;
  struct Case {
    std::string method, path, allow;
  };
  for (const Case& c : {Case{"PATCH", "/api/posts", "GET, POST"}, Case{"DELETE", "/api/posts", "GET, POST"},
                        Case{"PUT", "/api/posts", "GET, POST"},
                        Case{"PATCH", "/api/posts/existing", "GET, PUT, DELETE"},
                        Case{"POST", "/api/posts/existing", "GET, PUT, DELETE"},
                        Case{"OPTIONS", "/api/posts/existing", "GET, PUT, DELETE"}}) {
    INFO(c.method << " " << c.path);
    HttpResponse r;
    f.rejects(
        [&] {
          r = f.raw(c.method, c.path, R"({"title":"x"})");
          return r;
        },
        405, "request.method_not_allowed");
    CHECK(r.header("allow") == c.allow);
  }
  // HEAD is not an API method either; its 405 carries the same headers and no body.
  const DbState before = f.state();
  auto head = f.raw("HEAD", "/api/posts", "");
  CHECK(head.status == 405);
  CHECK(head.header("allow") == "GET, POST");
  CHECK(head.body.empty());
  CHECK(f.state() == before);
}

TEST_CASE("api-validation: route.not_found (404) for other API paths") {
  Fixture f;
  for (std::string path :
       {"/api", "/api/", "/api/post", "/api/tags", "/api/posts/existing/likes", "/api/v2/posts"}) {
    INFO(path);
    f.rejects([&] { return f.w.api("GET", kDemo, path, f.token); }, 404, "route.not_found");
    f.rejects([&] { return f.raw("POST", path, validPost().dump()); }, 404, "route.not_found");
  }
}

TEST_CASE("api-validation: request.invalid_query (400) for a bad limit or page") {
  Fixture f;
  for (std::string q : {"limit=0", "limit=101", "limit=abc", "limit=", "limit=-1", "limit=1.5", "limit=9999999",
                        "page=0", "page=abc", "page=-2", "limit=10&page=x"}) {
    INFO(q);
    f.rejects([&] { return f.w.api("GET", kDemo, "/api/posts?" + q, f.token); }, 400, "request.invalid_query");
  }
  auto one = f.w.api("GET", kDemo, "/api/posts?limit=1", f.token);
  REQUIRE(one.status == 200);
  Json j = *lattice::parseJson(one.body);
  CHECK(j["posts"].size() == 1);
  CHECK(j["next_page"] == 2);
  auto hundred = f.w.api("GET", kDemo, "/api/posts?limit=100&page=1", f.token);
  REQUIRE(hundred.status == 200);
  CHECK((*lattice::parseJson(hundred.body))["posts"].size() == 2);
  CHECK((*lattice::parseJson(hundred.body))["next_page"].is_null());
}

TEST_CASE("api-validation: the first failing field decides the code") {
  Fixture f;
  // Unknown fields are reported before any field check; then slug, title, ... in order.
  f.rejectsCreate(Json{{"slug", "BAD"}, {"title", ""}, {"bogus", 1}}, 400, "request.unknown_field", "bogus");
  f.rejectsCreate(Json{{"slug", "BAD"}, {"title", ""}}, 400, "post.slug_invalid", "slug");
  f.rejectsCreate(Json{{"slug", "ok"}, {"title", ""}, {"status", "x"}}, 400, "post.title_missing", "title");
  // Validation comes before the lookup: an invalid body for a missing post is a 400.
  f.rejects([&] { return f.put("nope", Json{{"status", "x"}}); }, 400, "post.status_invalid", "status");
}
