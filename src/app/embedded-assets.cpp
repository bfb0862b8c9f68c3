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
  const EmbeddedAsset* asset = nullptr;
  bool shell = false;
  auto isPage = [&](std::string_view name) { return std::find(pages.begin(), pages.end(), name) != pages.end(); };
  auto isShellFile = [&](std::string_view file) {
    return file == "index.html" ||
           (file.size() > 5 && file.substr(file.size() - 5) == ".html" && isPage(file.substr(0, file.size() - 5)));
  };
  if (segments.size() == 1) {
    asset = bundle.find("index.html");
    shell = true;
  } else if (segments.size() == 2 && isPage(segments[1])) {
    asset = bundle.find(segments[1] + ".html");
    shell = true;
  } else if (segments.size() == 2 && !isShellFile(segments[1])) {
    asset = bundle.find(segments[1]);
  }
  if (!asset) return errorResponse({404, "route.not_found", "no such page", ""});
  if (request.method != "GET" && request.method != "HEAD") return methodNotAllowed("GET, HEAD");
  HttpResponse r = embeddedAssetResponse(request, *asset);
  if (shell) r.set("content-security-policy", std::string(kAppPageCsp));
  return r;
}

}  // namespace lattice
