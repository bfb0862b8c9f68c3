#include "durable/post-content.h"

#include <algorithm>

#include "core/sha256.h"

namespace lattice {

namespace {

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::string> nullableString(const Json& row, const char* key) {
  auto it = row.find(key);
  if (it == row.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

Json logFields(const ContentRow& row, std::string_view code) {
  return {{"tenant", row.tenantId},
          {"post", row.id},
          {"version", row.version},
          {"key", row.r2Key ? Json(*row.r2Key) : Json(nullptr)},
          {"code", std::string(code)}};
}

ContentRead readOk(PostContent content, std::string source) {
  ContentRead r;
  r.status = ContentRead::Status::Ok;
  r.content = std::move(content);
  r.source = std::move(source);
  return r;
}

ContentRead readFailed(ContentRead::Status status, std::string detail) {
  ContentRead r;
  r.status = status;
  r.detail = std::move(detail);
  return r;
}

}  // namespace

std::string postContentObjectName(std::string_view tenantId, std::string_view postId) {
  return "post-content:" + std::string(tenantId) + ":" + std::string(postId);
}

std::string contentKey(std::string_view tenantId, std::string_view postId, long long version,
                       std::string_view sha256) {
  return "t/" + std::string(tenantId) + "/p/" + std::string(postId) + "/v" + std::to_string(version) + "-" +
         std::string(sha256) + ".json";
}

bool isSha256Hex(std::string_view s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool isContentKeyOf(std::string_view key, std::string_view tenantId, std::string_view postId) {
  const std::string prefix = "t/" + std::string(tenantId) + "/p/" + std::string(postId) + "/v";
  constexpr std::string_view kSuffix = ".json";
  if (key.size() <= prefix.size() + kSuffix.size() || key.substr(0, prefix.size()) != prefix ||
      key.substr(key.size() - kSuffix.size()) != kSuffix)
    return false;
  std::string_view rest = key.substr(prefix.size(), key.size() - prefix.size() - kSuffix.size());
  const size_t dash = rest.find('-');
  if (dash == std::string_view::npos) return false;
  std::string_view version = rest.substr(0, dash);
  return allDigits(version) && version.size() <= 15 && version[0] != '0' && isSha256Hex(rest.substr(dash + 1));
}

std::string contentObjectBody(const PostContent& c) {
  Json j = Json::object();
  j["markdown"] = c.markdown;
  j["html"] = c.html;
  j["version"] = c.version;
  j["sha256"] = c.sha256;
  return dumpJson(j);
}

std::optional<PostContent> verifyContentObject(std::string_view body, long long version, std::string_view sha256,
                                               std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<PostContent> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  auto j = parseJson(body);
  if (!j || !j->is_object()) return fail("not a JSON object");
  const Json& markdown = jsonValue(*j, "markdown");
  const Json& html = jsonValue(*j, "html");
  if (!markdown.is_string() || !html.is_string()) return fail("markdown or html missing");
  if (!jsonValue(*j, "version").is_number_integer() || jsonInt(*j, "version") != version)
    return fail("holds version " + jsonValue(*j, "version").dump() + ", not " + std::to_string(version));
  if (jsonString(*j, "sha256") != sha256) return fail("names another sha256");
  PostContent c;
  c.markdown = markdown.get<std::string>();
  if (sha256Hex(c.markdown) != sha256) return fail("markdown does not match its sha256");
  c.html = html.get<std::string>();
  c.version = version;
  c.sha256 = std::string(sha256);
  return c;
}

ContentRow ContentRow::fromRow(const Json& row) {
  ContentRow r;
  r.id = jsonString(row, "id");
  r.tenantId = jsonString(row, "tenant_id");
  r.slug = jsonString(row, "slug");
  r.title = jsonString(row, "title");
  r.description = jsonString(row, "description");
  r.version = jsonInt(row, "version");
  r.storageLocation = jsonString(row, "storage_location", "d1");
  r.r2Key = nullableString(row, "r2_key");
  r.contentHash = jsonString(row, "content_hash");
  r.markdown = nullableString(row, "markdown");
  r.html = nullableString(row, "html");
  r.updatedAt = jsonInt(row, "updated_at");
  return r;
}

std::optional<PostContent> ContentRow::verifiedD1Copy() const {
  if (!markdown || sha256Hex(*markdown) != contentHash) return std::nullopt;
  PostContent c;
  c.markdown = *markdown;
  c.html = html.value_or("");
  c.version = version;
  c.sha256 = contentHash;
  return c;
}

ApiError ContentRead::error() const {
  switch (status) {
    case Status::Missing:
      return {500, "content.missing", "the post's content is missing from storage: " + detail, ""};
    case Status::Corrupt:
      return {500, "content.corrupt", "the post's content does not match its hash: " + detail, ""};
    case Status::Unavailable:
    case Status::Ok:
      break;
  }
  return {503, "storage.unavailable", "storage is temporarily unavailable; retry shortly", ""};
}

Task<ContentRead> readContent(Io& io, const ContentRow& row) {
  if (!row.inR2()) {
    if (!row.markdown) {
      io.log("error", "post content missing in D1", logFields(row, "content.missing"));
      co_return readFailed(ContentRead::Status::Missing, "D1 holds no markdown");
    }
    auto copy = row.verifiedD1Copy();
    if (!copy) {
      io.log("error", "post content corrupt in D1", logFields(row, "content.corrupt"));
      co_return readFailed(ContentRead::Status::Corrupt, "the markdown in D1 does not match content_hash");
    }
    co_return readOk(std::move(*copy), "d1");
  }

  auto d1Copy = row.verifiedD1Copy();
  if (!row.r2Key) {
    io.log("error", "post in R2 without a key", logFields(row, "content.missing"));
    if (d1Copy) co_return readOk(std::move(*d1Copy), "d1");
    co_return readFailed(ContentRead::Status::Missing, "the post names no R2 object");
  }
  R2Got got = co_await r2Get(io, *row.r2Key);
  if (!got.ok) {
    io.log("warn", "R2 read failed", {{"key", *row.r2Key}, {"error", got.error}});
    if (d1Copy) co_return readOk(std::move(*d1Copy), "d1");
    co_return readFailed(ContentRead::Status::Unavailable, got.error);
  }
  if (!got.value) {
    Json fields = logFields(row, "content.missing");
    fields["d1_copy"] = d1Copy.has_value();
    io.log("error", "post content missing in R2", std::move(fields));
    io.metric("content.r2_missing");
    if (d1Copy) co_return readOk(std::move(*d1Copy), "d1");
    co_return readFailed(ContentRead::Status::Missing, "no R2 object " + *row.r2Key);
  }
  std::string why;
  auto content = verifyContentObject(*got.value, row.version, row.contentHash, &why);
  if (!content) {
    Json fields = logFields(row, "content.corrupt");
    fields["d1_copy"] = d1Copy.has_value();
    fields["why"] = why;
    io.log("error", "post content corrupt in R2", std::move(fields));
    io.metric("content.r2_corrupt");
    if (d1Copy) co_return readOk(std::move(*d1Copy), "d1");
    co_return readFailed(ContentRead::Status::Corrupt, "R2 object " + *row.r2Key + " " + why);
  }
  co_return readOk(std::move(*content), "r2");
}

Task<R2Got> r2Get(Io& io, std::string key) {
  Json effect = {{"kind", "r2.get"}, {"binding", binding::kContent}, {"key", std::move(key)}};
  Json r = co_await io.perform(std::move(effect));
  R2Got out;
  out.ok = jsonBool(r, "ok");
  if (!out.ok) {
    out.error = jsonString(r, "error", "r2.get failed");
    co_return out;
  }
  if (auto it = r.find("value"); it != r.end() && it->is_string()) out.value = it->get<std::string>();
  co_return out;
}

Task<bool> r2Put(Io& io, std::string key, std::string value, std::string* error) {
  Json effect = {{"kind", "r2.put"}, {"binding", binding::kContent}, {"key", std::move(key)}};
  effect["value"] = std::move(value);
  Json r = co_await io.perform(std::move(effect));
  const bool ok = jsonBool(r, "ok");
  if (!ok && error) *error = jsonString(r, "error", "r2.put failed");
  co_return ok;
}

Task<bool> r2Delete(Io& io, std::string key, std::string* error) {
  Json effect = {{"kind", "r2.delete"}, {"binding", binding::kContent}, {"key", std::move(key)}};
  Json r = co_await io.perform(std::move(effect));
  const bool ok = jsonBool(r, "ok");
  if (!ok && error) *error = jsonString(r, "error", "r2.delete failed");
  co_return ok;
}

}  // namespace lattice
