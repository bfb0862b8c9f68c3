// The owner's admin editor (web/admin), embedded in the core at build time by
// cmake/embed-assets.cmake, which generates the definitions below into the build folder: the
// editor ships inside the wasm, so a deploy replaces it atomically with the API it talks to.
#pragma once

#include <cstddef>
#include <string_view>

namespace lattice::admin {

struct EmbeddedAsset {
  std::string_view name;         // path under web/admin, e.g. "app.js"
  std::string_view contentType;  // from the extension, e.g. "text/javascript; charset=utf-8"
  std::string_view etag;         // strong validator: "\"" + sha256 hex of `bytes` + "\""
  std::string_view bytes;
};

// Every file of web/admin, sorted by name.
extern const EmbeddedAsset kEmbeddedAssets[];
extern const size_t kEmbeddedAssetCount;

}  // namespace lattice::admin
