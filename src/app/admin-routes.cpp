// The owner's admin pages on a tenant host, served from the files embedded at build time
// (src/app/embedded-assets.h): GET/HEAD /admin (the editor's HTML shell), /admin/stats (the
// operator dashboard's shell, web/admin/stats.html, drawn from GET /api/stats). Their scripts and
// styles (/admin/app.js, /admin/stats.css, ...) are static assets, answered before the Worker.
//
// The shell is the same for every tenant and holds no secret: the page asks the API who the
// tenant is, with the token the owner typed in (kept in the browser, sent only as a bearer
// header). So nothing here reads D1 or any cache, and the handler never suspends.
#include "app/embedded-assets.h"
#include "app/routes.h"

namespace lattice {

Task<HttpResponse> handleAdminPage(Context& cx, const std::string& subdomain,
                                   const std::vector<std::string>& segments) {
  co_return embeddedPageResponse(cx.request, admin::kAssets, segments, {"stats"});
}

}  // namespace lattice
