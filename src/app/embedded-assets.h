// Static files embedded in the core at build time by cmake/embed-assets.cmake, which generates
// each bundle's definition into the build folder: they ship inside the wasm, so a deploy replaces
// them atomically with the code they talk to.
#pragma once

#include <cstddef>
#include <string_view>

#include "http/http.h"

namespace lattice {

struct EmbeddedAsset {
  std::string_view name;         // path under the bundle's folder, e.g. "app.js"
  std::string_view contentType;  // from the extension, e.g. "text/javascript; charset=utf-8"
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
extern const AssetBundle kAssets;  // web/admin: the owner's editor (src/app/admin-routes.cpp)
}
namespace live {
extern const AssetBundle kAssets;  // web/live: the post pages' script and style (src/app/asset-routes.cpp)
}

// A GET or HEAD of `asset`: 200 with its bytes, or 304 without a body when If-None-Match holds
// its ETag. Both carry the ETag, `cache-control: no-cache` (any cache may keep a copy but must
// revalidate it, so a deploy is seen at once and an unchanged file costs a 304), nosniff and
// `referrer-policy: no-referrer`.
HttpResponse embeddedAssetResponse(const HttpRequest& request, const EmbeddedAsset& asset);

}  // namespace lattice
