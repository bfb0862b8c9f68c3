#include "http/errors.h"

namespace lattice {

HttpResponse jsonResponse(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.set("content-type", "application/json; charset=utf-8");
  r.set("cache-control", "private, no-store");
  r.set("x-content-type-options", "nosniff");
  r.body = dumpJson(body);
  return r;
}

HttpResponse errorResponse(const ApiError& error) {
  Json e = {{"code", error.code}, {"message", error.message}};
  if (!error.field.empty()) e["field"] = error.field;
  return jsonResponse(error.status, {{"error", std::move(e)}});
}

}  // namespace lattice
