// API errors. The code is API: clients and tests match on it exactly ("post.slug_invalid").
#pragma once

#include <string>

#include "http/http.h"

namespace lattice {

struct ApiError {
  int status = 400;
  std::string code;
  std::string message;
  std::string field;  // empty when the error is not about one field
};

// {"error":{"code","message","field"?}} with the error's status, private and uncacheable.
HttpResponse errorResponse(const ApiError& error);
// A JSON body with the given status, private and uncacheable (API responses never go to a shared cache).
HttpResponse jsonResponse(int status, const Json& body);

}  // namespace lattice
