// The post pages' script and stylesheet on a tenant host: GET/HEAD /assets/live.js and
// /assets/live.css, served from web/live as embedded at build time (src/app/embedded-assets.h).
//
// They are the same for every tenant and hold nothing of any reader: the script asks the API for
// the live data of the page it runs on. So nothing here reads D1 or any cache, and the handler
// never suspends. The cached post HTML names these URLs; `no-cache` makes browsers revalidate
// them, so a deploy's new script reaches pages rendered before it.
#include "app/embedded-assets.h"
#include "app/routes.h"

namespace lattice {

Task<HttpResponse> handleAssets(Context& cx, const std::vector<std::string>& segments) {
  const HttpRequest& req = cx.request;
  // One URL per file: /assets/{file}, top-level files of web/live only.
  const EmbeddedAsset* asset = segments.size() == 2 ? live::kAssets.find(segments[1]) : nullptr;
  if (!asset) {
    HttpResponse missing = errorResponse({404, "route.not_found", "no such asset", ""});
    co_return missing;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    HttpResponse r = errorResponse({405, "request.method_not_allowed", "assets answer GET and HEAD", ""});
    r.set("allow", "GET, HEAD");
    co_return r;
  }
  co_return embeddedAssetResponse(req, *asset);
}

}  // namespace lattice
