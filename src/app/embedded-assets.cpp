#include "app/embedded-assets.h"

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

}  // namespace lattice
