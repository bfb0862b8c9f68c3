// The HTML shells of the browser pages, embedded in the core at build time by
// cmake/embed-assets.cmake, which generates each bundle's definition into the build folder: they
// ship inside the wasm, so a deploy replaces them atomically with the code they talk to. Their
// scripts and styles are Workers Static Assets (wrangler.toml [assets]): the asset layer answers
// those URLs before the Worker runs, so the core never sees them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "http/http.h"

namespace lattice {

struct EmbeddedAsset {
  std::string_view name;         // path under the bundle's folder, e.g. "index.html"
  std::string_view contentType;  // "text/html; charset=utf-8"
  std::string_view etag;         // strong validator: "\"" + sha256 hex of `bytes` + "\""
  std::string_view bytes;
};

// The files of one embedded folder, sorted by name.
struct AssetBundle {
  const EmbeddedAsset* files;
  size_t count;

  // The file called `name`, or nullptr.
  const EmbeddedAsset* find(std::string_view name) const {
    for (size_t i = 0; i < count; ++i)
      if (files[i].name == name) return &files[i];
    return nullptr;
  }
};

namespace admin {
extern const AssetBundle kAssets;  // web/admin: the owner's editor and dashboard (src/app/admin-routes.cpp)
}
namespace meadow {
extern const AssetBundle kAssets;  // web/meadow: a reader's Meadow page (src/app/meadow-routes.cpp)
}

// A GET or HEAD of `asset`: 200 with its bytes, or 304 without a body when If-None-Match holds
// its ETag. Both carry the ETag, `cache-control: no-cache` (any cache may keep a copy but must
// revalidate it, so a deploy is seen at once and an unchanged file costs a 304), nosniff and
// `referrer-policy: no-referrer`.
HttpResponse embeddedAssetResponse(const HttpRequest& request, const EmbeddedAsset& asset);

// The policy of a page that is an embedded app (the admin editor, Meadow): no inline script or
// style, nothing from elsewhere, no framing, no forms posting anywhere. It talks only to its own
// origin, by fetch and by same-host WebSocket ('self' covers ws: and wss: on the same host).
inline constexpr std::string_view kAppPageCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// A page that is one bundle under /{segments[0]}: the bare path is the bundle's index.html, sent
// with kAppPageCsp. Each name in `pages` is a second shell of the bundle: /{segments[0]}/{name} is
// {name}.html, with kAppPageCsp too. A shell file has no URL of its own. 404 route.not_found for
// anything else (the pages' scripts and styles under /{segments[0]}/ are static assets, answered
// before the Worker runs), 405 for methods other than GET and HEAD.
HttpResponse embeddedPageResponse(const HttpRequest& request, const AssetBundle& bundle,
                                  const std::vector<std::string>& segments,
                                  const std::vector<std::string_view>& pages = {});

}  // namespace lattice
