// Server-rendered public pages: plain, fast HTML with one small inline stylesheet. Everything
// user-supplied is escaped here; post bodies arrive as HTML already sanitised at write time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blog/post.h"
#include "blog/tenant.h"
#include "http/http.h"

namespace lattice::pages {

// The base URL of the request's host, e.g. "http://demo.localhost:8787".
std::string origin(const HttpRequest& request);

struct ListPage {
  std::vector<Post> posts;
  int page = 1;
  bool hasNext = false;
  std::optional<std::string> tag;  // a tag page when set
};

// /blog and /tags/{tag}.
std::string blogIndex(const Tenant& tenant, const ListPage& list, const HttpRequest& request);
// /blog/{slug}: the article, then the live section filled by /assets/live.js (serve it with
// PageScript::Live). The same bytes for every reader of a post version: it is cached and shared.
std::string postPage(const Tenant& tenant, const Post& post, const HttpRequest& request);
// A styled 404, for a tenant (with its header) or for an unknown host (tenant == nullptr).
std::string notFound(const Tenant* tenant, std::string_view heading, std::string_view detail);
// The main host's front page.
std::string landing(std::string_view baseDomain);

// Which script a page may run: None (every page but posts), or Live (a post page: this origin's
// /assets/live.js, and connections to this origin only).
enum class PageScript { None, Live };

// An HTML response with the security headers every page carries; the Content-Security-Policy
// allows no script at all unless `script` says otherwise.
HttpResponse htmlResponse(int status, std::string body, PageScript script = PageScript::None);

}  // namespace lattice::pages
