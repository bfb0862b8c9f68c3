// A real sqlite3 database for native tests: D1 (the TestWorld's database) and each Durable
// Object's storage run on it. `SqliteSql` is the Durable Object `Sql` interface over it.
#pragma once

#include <sqlite3.h>

#include <string>

#include <vector>

#include "core/io.h"
#include "core/json.h"
#include "durable/sql.h"

namespace lattice::testing {

class SqliteDb {
 public:
  SqliteDb();  // an in-memory database
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // One statement: {ok, rows, meta:{rows_read, rows_written, changes}} or {ok:false, error}
  // (the shape of a D1 result).
  Json run(const std::string& sql, const Json& params);
  // Several statements, no parameters; returns the error message or "".
  std::string script(const std::string& sql);
  // Applies every migrations/*.sql (LATTICE_MIGRATIONS_DIR) in order, as D1 would; returns the
  // first error, prefixed with the file's name, or "".
  std::string migrate();
  // Runs `statements` as D1 runs a batch: all in one transaction, or none (rolled back at the
  // first error, which is returned); "" when all committed.
  std::string batch(const std::vector<SqlStatement>& statements);
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteSql : public Sql {
 public:
  explicit SqliteSql(SqliteDb& db) : db_(db) {}
  using Sql::exec;
  SqlRows exec(std::string_view sql, const Json& params) override;

 private:
  SqliteDb& db_;
};

}  // namespace lattice::testing
