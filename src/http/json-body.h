// Reading a JSON request body through the body.read effect, bounded before parsing.
#pragma once

#include <cstddef>
#include <variant>

#include "core/io.h"
#include "core/json.h"
#include "core/task.h"
#include "http/http.h"

namespace lattice {

// The parsed body, or the error response: 415 request.unsupported_media_type for another
// content type, 413 request.too_large beyond `max` bytes (checked before parsing), 400
// request.body_unreadable / request.malformed_json.
Task<std::variant<Json, HttpResponse>> readJsonBody(Io& io, const HttpRequest& request, size_t max);

}  // namespace lattice
