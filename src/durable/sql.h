// The synchronous SQL interface Durable Object logic runs over: in wasm it wraps the object's
// `ctx.storage.sql` (bindings/ + worker-shim/durable-objects.mjs), in native tests a real
// sqlite3 database (tests/native/sqlite-db.h). Statements are synchronous, so the logic between
// two effects runs without interleaving; each such step is also one transaction (the shim wraps
// it in ctx.storage.transactionSync, the native driver in BEGIN/COMMIT).
#pragma once

#include <string>
#include <string_view>

#include "core/json.h"

namespace lattice {

// The rows of one statement ([{column: value}]) or its error.
struct SqlRows {
  bool ok = false;
  std::string error;
  Json rows = Json::array();
};

class Sql {
 public:
  virtual ~Sql() = default;
  // Runs one statement with positional parameters (?1, ?2 ... or ?): strings, numbers, null.
  // To learn what a write changed, use RETURNING (row counts differ between the two backends).
  virtual SqlRows exec(std::string_view sql, const Json& params) = 0;
  SqlRows exec(std::string_view sql) { return exec(sql, Json::array()); }
};

}  // namespace lattice
