// Every parser that takes an untrusted JSON request body, fed the same bytes as the Worker would
// read them (parseJson, as readJsonBody does): posts and the preview (blog/post-input.h), tenant
// settings (blog/tenant-input.h), drafts (durable/drafts.h), comments (durable/comments.h),
// reactions (durable/reactions.h), analytics events (durable/event-outbox.h), version reports
// (durable/post-versions.h) and Meadow previews (feed/preview.h), plus the typed readers of
// core/json.h on every key. The input is one JSON text (the seed corpus is readable bodies).
//
// Besides "no crash, no UB" each parser's documented result is checked: an error has a 4xx
// status and a code; what is accepted is within the documented bounds; a preview read back from
// its own JSON is the same preview; the accepted input can be applied (applyPostInput renders the
// markdown, applyTenantConfig merges) and turned into a response.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "blog/post-input.h"
#include "blog/post.h"
#include "blog/tenant-input.h"
#include "blog/tenant.h"
#include "core/json.h"
#include "durable/comments.h"
#include "durable/drafts.h"
#include "durable/event-outbox.h"
#include "durable/post-versions.h"
#include "durable/reactions.h"
#include "feed/preview.h"
#include "fuzz-support.h"
#include "http/errors.h"
#include "render/html-escape.h"

using namespace lattice;
using lattice::fuzz::check;

namespace {

constexpr long long kNow = 1795000000000;  // 2026-11-18
constexpr std::string_view kRandom = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
// Small bounds, so that the "too large" paths are reachable with fuzzer-sized inputs.
constexpr size_t kMaxMarkdown = 2048;
constexpr size_t kMaxDraft = 2048;

int depth(const Json& j) {
  int d = 0;
  if (j.is_array() || j.is_object())
    for (const auto& v : j) d = std::max(d, depth(v));
  return j.is_array() || j.is_object() ? d + 1 : 0;
}

// An error from a parser: a client error with a code, and it must turn into a response.
template <typename T>
const T* expectValueOrError(const std::variant<T, ApiError>& result, const char* parser) {
  if (const auto* error = std::get_if<ApiError>(&result)) {
    check(error->status >= 400 && error->status < 500, parser, error->code);
    check(!error->code.empty() && error->code.find('.') != std::string::npos, parser, error->code);
    const HttpResponse r = errorResponse(*error);
    check(r.status == error->status, parser, error->code);
    return nullptr;
  }
  return &std::get<T>(result);
}

void posts(const Json& body) {
  for (bool creating : {true, false}) {
    auto parsed = parsePostInput(body, creating, kMaxMarkdown);
    const PostInput* in = expectValueOrError(parsed, "parsePostInput");
    if (!in) continue;
    if (creating) check(in->slug && in->title, "created without slug or title", dumpJson(body));
    if (in->slug) check(validSlug(*in->slug), "an invalid slug accepted", *in->slug);
    if (in->tags) {
      check(in->tags->size() <= kMaxTags, "too many tags accepted", dumpJson(body));
      for (const auto& t : *in->tags) check(validTag(t), "an invalid tag accepted", t);
    }
    if (in->markdown) check(in->markdown->size() <= kMaxMarkdown, "markdown over the limit accepted", "");
    Post post;
    post.id = "p1";
    post.tenantId = "t1";
    applyPostInput(post, *in, kNow);
    check(render::isValidUtf8(post.html), "a post's html is not UTF-8", post.html);
    const Json out = post.toJson(true);
    (void)dumpJson(out);
    (void)Post::fromRow(post.toRow());
  }
  auto preview = parsePreviewInput(body, kMaxMarkdown);
  if (const std::string* md = expectValueOrError(preview, "parsePreviewInput"))
    check(md->size() <= kMaxMarkdown, "preview markdown over the limit accepted", "");
}

void tenants(const Json& body) {
  auto parsed = parseTenantConfig(body);
  const TenantConfigInput* in = expectValueOrError(parsed, "parseTenantConfig");
  if (!in) return;
  Tenant current;
  current.theme = {{"accent", "#abc"}, {"font", "serif"}};
  current.limits = {{"max_draft_bytes", 4096}};
  const Tenant t = applyTenantConfig(current, *in);
  check(t.theme.is_object() && t.limits.is_object(), "theme or limits no longer objects", dumpJson(body));
  const std::string accent = t.accentColor();
  check((accent.size() == 4 || accent.size() == 7) && accent[0] == '#', "an accent that is not #hex", accent);
  const size_t limit = draftLimitBytes(t, 1 << 20);
  check(limit >= 1 && limit <= (1 << 20), "a draft limit outside its bounds", dumpJson(t.limits));
  (void)dumpJson(t.toJson());
}

void drafts(const Json& body) {
  auto parsed = parseDraftSave(body, kMaxDraft);
  const DraftSave* in = expectValueOrError(parsed, "parseDraftSave");
  if (!in) return;
  check(in->content.size() + dumpJson(in->metadata).size() <= kMaxDraft, "a draft over its limit accepted", "");
  check(in->metadata.is_object(), "draft metadata not an object", dumpJson(body));
  check(!in->baseRevision || *in->baseRevision >= 1, "a draft base revision below 1", dumpJson(body));
}

void comments(const Json& body) {
  auto parsed = parseCommentInput(body);
  const CommentInput* in = expectValueOrError(parsed, "parseCommentInput");
  if (!in) return;
  auto n = render::printableCodePoints(in->body, "\n\t");
  check(n && *n >= 1 && *n <= kMaxCommentChars, "a comment body outside 1-5000 printable code points", in->body);
  check(in->parentId.empty() || validCommentId(in->parentId), "an invalid parent id accepted", in->parentId);
}

void reactions(const Json& body) {
  auto parsed = parseReactionToggle(body);
  if (const ReactionToggle* in = expectValueOrError(parsed, "parseReactionToggle"))
    check(validReactionType(in->type), "an unknown reaction accepted", in->type);
}

void events(const Json& body) {
  auto parsed = parseEvents(body, kNow, kRandom);
  const auto* list = expectValueOrError(parsed, "parseEvents");
  if (!list) return;
  check(!list->empty() && list->size() <= kMaxEventsPerRequest, "an event count outside 1-100", dumpJson(body));
  for (const AnalyticsEvent& e : *list) {
    check(e.key.rfind("c:", 0) == 0 || e.key.rfind("s:", 0) == 0, "an event key without its prefix", e.key);
    check(e.at >= kNow - 7LL * 86400000 && e.at <= kNow + 5 * 60000, "an event time out of range", dumpJson(body));
    check(e.data.is_object(), "event data not an object", dumpJson(body));
  }
  (void)analyticsInserts("t1", *list);
}

void versions(const Json& body) {
  auto parsed = parseVersionReport(body, kMaxMarkdown);
  if (const PostVersion* v = expectValueOrError(parsed, "parseVersionReport")) {
    check(v->markdown.size() <= kMaxMarkdown, "a version over the limit accepted", "");
    (void)dumpJson(v->toJson(true));
  }
}

void previews(const Json& json) {
  auto one = [](const Json& item) {
    auto parsed = feed::parsePreview(item, "item");
    const feed::Preview* p = expectValueOrError(parsed, "parsePreview");
    if (!p) return;
    const Json out = p->toJson();
    auto again = feed::parsePreview(out, "item");
    const feed::Preview* q = std::get_if<feed::Preview>(&again);
    check(q != nullptr, "a preview's own JSON does not read back", dumpJson(out));
    check(q->toJson() == out, "a preview changes when read back", dumpJson(out));
  };
  one(json);
  if (json.is_object() && json.contains("item")) one(json["item"]);
  if (json.is_array())
    for (const Json& item : json) one(item);
  if (const Json& posts = jsonValue(json, "posts"); posts.is_array())
    for (const Json& item : posts) one(item);
}

// The typed readers promise never to abort, whatever the value under the key.
void typedReads(const Json& json) {
  if (!json.is_object()) return;
  for (const auto& [key, value] : json.items()) {
    (void)jsonInt(json, key.c_str());
    (void)jsonString(json, key.c_str());
    (void)jsonBool(json, key.c_str());
    (void)jsonValue(json, key.c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<Json> parsed = parseJson(text);
  if (!parsed) return 0;
  const Json& body = *parsed;
  check(depth(body) <= kMaxJsonDepth, "parseJson accepted nesting deeper than kMaxJsonDepth", text);
  (void)dumpJson(body);

  typedReads(body);
  posts(body);
  tenants(body);
  drafts(body);
  comments(body);
  reactions(body);
  events(body);
  versions(body);
  previews(body);
  return 0;
}
