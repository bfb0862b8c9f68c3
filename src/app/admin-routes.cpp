// The owner's admin editor on a tenant host: GET/HEAD /admin (the HTML shell), /admin/app.js and
// /admin/app.css, served from the files embedded at build time (src/app/embedded-assets.h).
//
// The shell is the same for every tenant and holds no secret: the page asks the API who the
// tenant is, with the token the owner typed in (kept in the browser, sent only as a bearer
// header). So nothing here reads D1 or any cache, and the handler never suspends.
#include <string_view>

#include "app/embedded-assets.h"
#include "app/routes.h"

namespace lattice {

namespace {

// No inline script or style, nothing from elsewhere, no framing, no forms posting anywhere: the
// page talks only to its own origin's API.
constexpr const char* kAdminCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// The embedded file a path names: /admin is the shell; /admin/{file} a top-level asset other
// than the shell itself (one URL per file).
const EmbeddedAsset* assetFor(const std::vector<std::string>& segments) {
  if (segments.size() == 1) return admin::kAssets.find("index.html");
  if (segments.size() == 2 && segments[1] != "index.html") return admin::kAssets.find(segments[1]);
  return nullptr;
}

}  // namespace

Task<HttpResponse> handleAdminPage(Context& cx, const std::string& subdomain,
                                   const std::vector<std::string>& segments) {
  const HttpRequest& req = cx.request;
  const EmbeddedAsset* asset = assetFor(segments);
  if (!asset) {
    HttpResponse missing = errorResponse({404, "route.not_found", "no such admin page", ""});
    co_return missing;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    HttpResponse r = errorResponse({405, "request.method_not_allowed", "the admin pages answer GET and HEAD", ""});
    r.set("allow", "GET, HEAD");
    co_return r;
  }
  HttpResponse r = embeddedAssetResponse(req, *asset);
  if (asset->name == "index.html") r.set("content-security-policy", kAdminCsp);
  co_return r;
}

}  // namespace lattice
