#include "app/embedded-assets.h"

#include <algorithm>

#include "app/owner-api.h"
#include "app/routes.h"
#include "cache/policy.h"

namespace lattice {

HttpResponse embeddedAssetResponse(const HttpRequest& request, const EmbeddedAsset& asset) {
  HttpResponse r;
  r.set("etag", std::string(asset.etag));
  r.set("cache-control", "no-cache");
  r.set("x-content-type-options", "nosniff");
  r.set("referrer-policy", "no-referrer");
  if (cache::ifNoneMatchHits(request.header("if-none-match"), asset.etag)) {
    r.status = 304;
    return r;
  }
  r.set("content-type", std::string(asset.contentType));
  r.body = std::string(asset.bytes);  // HEAD: the router drops the body
  return r;
}

HttpResponse embeddedPageResponse(const HttpRequest& request, const AssetBundle& bundle,
                                  const std::vector<std::string>& segments,
                                  const std::vector<std::string_view>& pages) {
  const EmbeddedAsset* shell = nullptr;
  if (segments.size() == 1)
    shell = bundle.find("index.html");
  else if (segments.size() == 2 && std::find(pages.begin(), pages.end(), segments[1]) != pages.end())
    shell = bundle.find(segments[1] + ".html");
  if (!shell) return errorResponse({404, "route.not_found", "no such page", ""});
  if (request.method != "GET" && request.method != "HEAD") return methodNotAllowed("GET, HEAD");
  HttpResponse r = embeddedAssetResponse(request, *shell);
  r.set("content-security-policy", std::string(kAppPageCsp));
  return r;
}

}  // namespace lattice
