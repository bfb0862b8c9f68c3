// Public pages of a tenant's blog.
#include "app/routes.h"
#include "blog/pages.h"
#include "blog/post-input.h"
#include "blog/post.h"

namespace lattice {

namespace {

HttpResponse redirect(int status, std::string location) {
  HttpResponse r;
  r.status = status;
  r.set("location", std::move(location));
  return r;
}

HttpResponse notFoundPage(const Tenant* tenant, std::string_view heading, std::string_view detail) {
  return pages::htmlResponse(404, pages::notFound(tenant, heading, detail));
}

Task<HttpResponse> listPage(Context& cx, const Tenant& tenant, std::optional<std::string> tag) {
  auto page = cx.request.intParam("page", 1, 1, 999999);
  if (!page) co_return notFoundPage(&tenant, "Page not found", "That page number does not exist.");
  const int perPage = cx.config.postsPerPage;
  const int offset = (*page - 1) * perPage;
  // Chosen before co_await: g++ 12 destroys a conditional's temporary twice inside co_await.
  SqlStatement statement = tag ? post_sql::publishedPageByTag(tenant.id, *tag, cx.now, perPage, offset)
                               : post_sql::publishedPage(tenant.id, cx.now, perPage, offset);
  D1Result rows = co_await cx.io.query(std::move(statement));
  if (!rows.ok) co_return storageFailure(cx, "post list", rows.error);
  pages::ListPage list;
  list.page = *page;
  list.tag = std::move(tag);
  for (const auto& row : rows.rows) list.posts.push_back(Post::fromRow(row));
  if (static_cast<int>(list.posts.size()) > perPage) {
    list.hasNext = true;
    list.posts.pop_back();
  }
  if (list.posts.empty() && (*page > 1 || list.tag))
    co_return notFoundPage(&tenant, "Nothing here", list.tag ? "No published posts carry this tag."
                                                             : "There are no posts on this page.");
  co_return pages::htmlResponse(200, pages::blogIndex(tenant, list, cx.request));
}

}  // namespace

Task<HttpResponse> handlePublicPage(Context& cx, const std::string& subdomain,
                                    const std::vector<std::string>& segments) {
  const HttpRequest& req = cx.request;
  if (req.method != "GET" && req.method != "HEAD") {
    HttpResponse r = errorResponse({405, "request.method_not_allowed", "pages answer GET and HEAD", ""});
    r.set("allow", "GET, HEAD");
    co_return r;
  }
  D1Result tenantRows = co_await cx.io.query(tenant_sql::bySubdomain(subdomain));
  if (!tenantRows.ok) co_return storageFailure(cx, "tenant lookup", tenantRows.error);
  if (tenantRows.rows.empty())
    co_return notFoundPage(nullptr, "Blog not found", "There is no blog called “" + subdomain + "” here.");
  const Tenant tenant = Tenant::fromRow(tenantRows.rows[0]);

  if (req.path.size() > 1 && req.path.back() == '/') {
    std::string trimmed = req.path;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    // One leading slash only: a Location of "//evil.com" (or "/\evil.com", which browsers read
    // the same way) would send the reader to another site.
    trimmed = "/" + trimmed.substr(std::min(trimmed.find_first_not_of("/\\"), trimmed.size()));
    co_return redirect(301, trimmed + (req.query.empty() ? "" : "?" + req.query));
  }
  if (segments.empty()) co_return redirect(302, "/blog");
  if (segments[0] == "blog" && segments.size() == 1) co_return co_await listPage(cx, tenant, std::nullopt);
  if (segments[0] == "tags" && segments.size() == 2) {
    if (!validTag(segments[1])) co_return notFoundPage(&tenant, "Tag not found", "No posts carry this tag.");
    co_return co_await listPage(cx, tenant, segments[1]);
  }
  if (segments[0] == "blog" && segments.size() == 2) {
    if (!validSlug(segments[1])) co_return notFoundPage(&tenant, "Post not found", "There is no post at this address.");
    D1Result rows = co_await cx.io.query(post_sql::publishedBySlug(tenant.id, segments[1], cx.now));
    if (!rows.ok) co_return storageFailure(cx, "post", rows.error);
    if (rows.rows.empty()) co_return notFoundPage(&tenant, "Post not found", "There is no post at this address.");
    co_return pages::htmlResponse(200, pages::postPage(tenant, Post::fromRow(rows.rows[0]), req));
  }
  co_return notFoundPage(&tenant, "Page not found", "There is nothing at this address.");
}

}  // namespace lattice
