#include "blog/syndication.h"

#include <algorithm>
#include <set>

#include "http/http.h"
#include "render/xml-escape.h"

namespace lattice::syndication {

namespace {

using render::appendXmlEscaped;

constexpr std::string_view kXmlDeclaration = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
constexpr std::string_view kTagPrefix = "tag:lattice,2024:";

// <name>text</name> with the text escaped.
void element(std::string& out, std::string_view name, std::string_view text) {
  out += '<';
  out += name;
  out += '>';
  appendXmlEscaped(out, text);
  out += "</";
  out += name;
  out += ">\n";
}

// Slugs and tags are validated to [a-z0-9-], so this normally copies them; it keeps a bad row
// from producing a URL that means something else.
std::string pageUrl(std::string_view origin, std::string_view section, std::string_view segment) {
  std::string url(origin);
  url += section;
  url += percentEncode(segment);
  return url;
}

// An entry's <updated>: its last edit, or its publication if that came later (a post written
// ahead and scheduled is new to readers when it goes live).
UnixMillis lastChanged(const Post& p) { return std::max(p.updatedAt, p.publishedAt.value_or(0)); }

}  // namespace

std::string atomFeed(const Tenant& tenant, const std::vector<Post>& posts, std::string_view origin,
                     size_t limit) {
  const size_t count = std::min(limit, posts.size());
  UnixMillis updated = 0;
  for (size_t i = 0; i < count; ++i) updated = std::max(updated, lastChanged(posts[i]));

  const std::string feedId = std::string(kTagPrefix) + percentEncode(tenant.id);
  const std::string base(origin);

  std::string x(kXmlDeclaration);
  x += "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  element(x, "id", feedId);
  element(x, "title", tenant.displayName);
  if (!tenant.description.empty()) element(x, "subtitle", tenant.description);
  element(x, "updated", formatIso8601(updated));
  x += "<link rel=\"self\" type=\"application/atom+xml\" href=\"";
  appendXmlEscaped(x, base + "/feed.xml");
  x += "\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"";
  appendXmlEscaped(x, base + "/blog");
  x += "\"/>\n<author><name>";
  appendXmlEscaped(x, tenant.displayName);
  x += "</name></author>\n";

  for (size_t i = 0; i < count; ++i) {
    const Post& p = posts[i];
    x += "<entry>\n";
    element(x, "id", feedId + "/" + percentEncode(p.id));
    element(x, "title", p.title);
    x += "<link rel=\"alternate\" type=\"text/html\" href=\"";
    appendXmlEscaped(x, pageUrl(origin, "/blog/", p.slug));
    x += "\"/>\n";
    if (p.publishedAt) element(x, "published", formatIso8601(*p.publishedAt));
    element(x, "updated", formatIso8601(lastChanged(p)));
    for (const std::string& tag : p.tags) {
      x += "<category term=\"";
      appendXmlEscaped(x, tag);
      x += "\"/>\n";
    }
    if (!p.description.empty()) element(x, "summary", p.description);
    if (!p.html.empty()) {
      x += "<content type=\"html\">";
      appendXmlEscaped(x, p.html);
      x += "</content>\n";
    }
    x += "</entry>\n";
  }
  x += "</feed>\n";
  return x;
}

// The urlset names no site, so the tenant only matters through `origin` and `posts`.
std::string sitemap(const Tenant& /*tenant*/, const std::vector<Post>& posts, std::string_view origin) {
  std::string x(kXmlDeclaration);
  x += "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  auto url = [&](const std::string& loc, const UnixMillis* lastmod) {
    x += "<url><loc>";
    appendXmlEscaped(x, loc);
    x += "</loc>";
    if (lastmod) {
      x += "<lastmod>";
      x += formatIso8601(*lastmod);
      x += "</lastmod>";
    }
    x += "</url>\n";
  };

  url(std::string(origin) + "/blog", nullptr);
  std::set<std::string_view> tags;  // ordered, so the output does not depend on post order
  for (const Post& p : posts) {
    url(pageUrl(origin, "/blog/", p.slug), &p.updatedAt);
    tags.insert(p.tags.begin(), p.tags.end());
  }
  for (std::string_view tag : tags) url(pageUrl(origin, "/tags/", tag), nullptr);
  x += "</urlset>\n";
  return x;
}

}  // namespace lattice::syndication
