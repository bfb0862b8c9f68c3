// The request entry point: route a request to the public pages, the owner API or the dev
// endpoints, performing every effect through cx.io.
#pragma once

#include "app/context.h"
#include "core/task.h"
#include "http/http.h"

namespace lattice {

Task<HttpResponse> handleRequest(Context& cx);

}  // namespace lattice
