// The native driver: performs the core's effects in-process, against a real in-memory SQLite
// with migrations/*.sql applied (D1), maps (KV, R2, Cache) and effect counters. Whole request
// flows run natively through the same Engine the wasm build exposes. Durable Objects run
// in-process, each on its own real SQLite; their alarms fire when a test calls runAlarms(). A
// fault hook lets a test fail or alter any effect.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "app/engine.h"
#include "core/json.h"
#include "http/http.h"
#include "sqlite-db.h"

namespace lattice::testing {

class TestWorld {
 public:
  explicit TestWorld(Json vars = {{"BASE_DOMAIN", "localhost"}, {"LATTICE_DEV", "1"}});
  ~TestWorld();
  TestWorld(const TestWorld&) = delete;
  TestWorld& operator=(const TestWorld&) = delete;

  // Runs one request to completion, including work after the response (cache fills), and
  // returns the response as the client got it. `host` may carry a port.
  HttpResponse request(const std::string& method, const std::string& host, const std::string& path,
                       std::map<std::string, std::string> headers = {}, const std::string& body = {});
  // Runs the Worker's cron event (`scheduled`) to completion, as the shim does; returns what the
  // core answered (the shim only logs it).
  HttpResponse scheduled(const std::string& cron = "0 2 * * *");
  // Shorthand for an owner API call with a JSON body.
  HttpResponse api(const std::string& method, const std::string& host, const std::string& path,
                   const std::string& token, const std::optional<Json>& body = std::nullopt);

  // Runs SQL directly (test setup and assertions). Aborts the test on error.
  Json sql(const std::string& statement, const Json& params = Json::array());
  long long count(const std::string& table);
  // Runs a whole SQL script (several statements, no parameters), e.g. the demo seed. Aborts the
  // test on error.
  void execScript(const std::string& script);
  // A tenant row; returns its id.
  std::string addTenant(const std::string& subdomain, const std::string& displayName = "");
  // Mints an owner token for the tenant and stores its hash; returns the token.
  std::string mintToken(const std::string& tenantId);

  // Performs one effect as a Worker would (public so fault hooks can delegate). `object` names
  // the Durable Object performing it, if any (alarm effects are per object).
  Json perform(const Json& effect, const std::string& body, const std::string& object = {});

  // Durable Objects, by name ("tenant:demo"): their storage, alarms, and direct SQL on them.
  std::map<std::string, std::unique_ptr<SqliteDb>> objects;
  std::map<std::string, long long> alarms;  // object name -> when its alarm fires
  Json objectSql(const std::string& object, const std::string& statement, const Json& params = Json::array());
  // Runs every alarm due at `now` (and any they set for no later than `now`), like the runtime
  // would; returns how many ran.
  int runAlarms(int max = 1000);
  // Calls an object directly with an internal request, as the Worker's do.call would.
  HttpResponse callObject(const std::string& binding, const std::string& name, const Json& request);

  // WebSockets accepted by objects (ws.accept), as the hibernation API keeps them: by tag, with
  // their attachment, what they were sent, and how they were closed (code 0: open). A socket's
  // messages and close are delivered to its object like the runtime's webSocketMessage/Close.
  struct Socket {
    std::string object;
    Json attachment;
    std::vector<std::string> received;
    int closeCode = 0;
    std::string closeReason;
    std::string autoRequest, autoResponse;  // the object's auto-response pair
  };
  std::map<std::string, Socket> sockets;
  // Opens a WebSocket to a post page's live route through the Worker, as a browser on `origin`
  // would; returns the new socket's tag ("" when refused, with the response in `refused`).
  std::string connect(const std::string& host, const std::string& path, const std::string& origin,
                      HttpResponse* refused = nullptr, std::map<std::string, std::string> headers = {});
  HttpResponse lastConnect;  // the Worker's answer to the last connect(), 101 or not
  // Opens a WebSocket straight to an object's route, as the Worker's do.connect would after its
  // own checks (`headers` are the internal ones, e.g. x-lattice-reader); returns the new
  // socket's tag ("" when refused, with the response in `refused`).
  std::string connectObject(const std::string& binding, const std::string& name, const std::string& path,
                            std::map<std::string, std::string> headers = {}, HttpResponse* refused = nullptr);
  // Delivers a frame to the socket's object (a text frame, or `binaryBytes` of binary).
  void socketSend(const std::string& id, const std::string& text, long long binaryBytes = -1);
  // The client closes the socket.
  void socketClose(const std::string& id, int code = 1000);
  // The JSON messages socket `id` received, parsed, oldest first.
  std::vector<Json> messagesOf(const std::string& id) const;

  // Called before each effect; a returned value replaces the effect's result (fault injection).
  std::function<std::optional<Json>(const Json& effect)> fault;

  std::map<std::string, long long> counters;  // effect kinds, as /__lattice/metrics reports them
  Json logs = Json::array();
  long long now = 1795000000000;  // 2026-11-18T...; tests move it explicitly
  // KV and the Cache API honour expirations (KV's ttl, the stored Cache-Control max-age) against
  // `now`. `kvLag`, when set, makes KV behave like a distant location: a get keeps answering what
  // was there before the most recent put/delete of that key for that many milliseconds.
  struct Stored {
    Json value;
    long long expires = 0;  // 0: never
  };
  std::map<std::string, Stored> kv, cache;
  std::map<std::string, std::string> r2;
  long long kvLag = 0;
  int responded = 0;  // responses sent early (the `respond` effect)
  Engine engine;

 private:
  Json runStatement(const std::string& sql, const Json& params);
  // Drives a started request or event to its end (effects performed, emits collected).
  HttpResponse drive(Json step, const std::string& body);
  // One object event (a request, or its alarm when `request` is null) to completion; each step
  // of the core is one transaction, as under ctx.storage.transactionSync.
  HttpResponse runObject(const std::string& className, const std::string& name, const Json& request,
                         const Json& socket = nullptr);
  Json performSocket(const std::string& kind, const Json& effect, const std::string& object);
  std::string lastAccepted_;
  std::map<std::string, std::string> connectHeaders_;
  SqliteDb db_;
  std::map<std::string, std::string> objectClasses_;  // object name -> its class
  long long randomCounter_ = 0;
  struct Previous {
    std::optional<Stored> value;
    long long until = 0;
  };
  std::map<std::string, Previous> kvPrevious_;  // for kvLag
  void kvWrite(const std::string& key, std::optional<Stored> value);
};

// Shared assertions helpers.
inline bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}
// `html` without the one script tag Lattice itself puts on post pages (/assets/live.js), so that
// a test can check that nothing else on the page is a script.
inline std::string withoutLiveScript(std::string html) {
  const std::string tag = "<script src=\"/assets/live.js\" defer></script>";
  if (auto at = html.find(tag); at != std::string::npos) html.erase(at, tag.size());
  return html;
}

// The JSON body of a response (null when it is not JSON).
inline Json bodyOf(const HttpResponse& r) {
  auto j = parseJson(r.body);
  return j ? *j : Json(nullptr);
}
// The {"error": {...}} object of an API error response; an empty object for anything else.
inline Json errorOf(const HttpResponse& r) {
  auto j = parseJson(r.body);
  return j && j->is_object() && j->contains("error") ? (*j)["error"] : Json::object();
}

}  // namespace lattice::testing
