#include "core/session.h"

namespace lattice {

Session::Session(Body body) : body_(std::move(body)) {
  task_ = body_(io_);
  task_.handle().resume();
}

Json Session::step() {
  Json out = Json::object();
  if (task_.done()) {
    out["response"] = task_.result().toJson();
  } else if (io_.hasPending()) {
    out["effect"] = io_.takePending();
  } else {
    // Suspended without an effect would be a bug in an awaiter; answer rather than hang.
    HttpResponse r;
    r.status = 500;
    r.body = "internal error: coroutine suspended without an effect";
    out["response"] = r.toJson();
  }
  Json emits = io_.takeEmits();
  if (!emits.empty()) out["emits"] = std::move(emits);
  return out;
}

Json Session::resume(Json result) {
  if (!task_.done()) io_.resume(std::move(result));
  return step();
}

}  // namespace lattice
