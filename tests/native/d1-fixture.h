// A D1 database for the outbox tests of Durable Object modules: migrations applied, then the
// test's own tenants and posts; batch() runs statements as D1 runs a batch.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/io.h"
#include "core/json.h"
#include "sqlite-db.h"

namespace lattice::testing {

struct D1Fixture {
  SqliteDb db;

  explicit D1Fixture(const std::string& seed) {
    REQUIRE(db.migrate() == "");
    REQUIRE(db.script(seed) == "");
  }

  // All statements in one transaction, or none (the error is shown).
  bool batch(const std::vector<SqlStatement>& statements) {
    const std::string err = db.batch(statements);
    if (!err.empty()) MESSAGE("D1 error: " << err);
    return err.empty();
  }

  Json rows(const std::string& sql) { return db.run(sql, Json::array())["rows"]; }
  long long count(const std::string& table) { return jsonInt(rows("SELECT count(*) AS n FROM " + table)[0], "n"); }
};

}  // namespace lattice::testing
