// The engine as its drivers see it: start a request, resume it with effect results, get steps.
// The wasm build exposes exactly this through bindings/; the native test driver calls it directly.
#pragma once

#include <map>
#include <memory>

#include "app/config.h"
#include "core/json.h"
#include "durable/sql.h"

namespace lattice {

class Engine {
 public:
  explicit Engine(Config config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts handling {request:{method, url, headers}, now, random}. Returns the first step with
  // "id" (pass it to resume) and either "effect" or "response" (see core/session.h).
  Json begin(const Json& envelope);
  // Starts one Durable Object event: {object:{class, name}, request?:{method, url, headers}, now,
  // random} (no request: the object's alarm), over the object's storage `sql`, which must
  // outlive the event. Steps as for begin().
  Json beginObject(const Json& envelope, std::unique_ptr<Sql> sql);
  // Resumes request `id` with the result of its pending effect; returns the next step.
  Json resume(long long id, const Json& result);
  // Drops a request the driver abandons (e.g. the client went away).
  void cancel(long long id);
  size_t activeCount() const { return active_.size(); }
  const Config& config() const { return config_; }

 private:
  struct Active;
  Json finish(long long id, Json step);

  Config config_;
  std::map<long long, std::unique_ptr<Active>> active_;
  long long nextId_ = 1;
};

}  // namespace lattice
