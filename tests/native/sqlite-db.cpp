#include "sqlite-db.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace lattice::testing {

SqliteDb::SqliteDb() {
  sqlite3_open(":memory:", &db_);
  sqlite3_exec(db_, "PRAGMA foreign_keys = ON", nullptr, nullptr, nullptr);
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

std::string SqliteDb::script(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  std::string message = rc == SQLITE_OK ? "" : (err ? err : "sqlite error");
  sqlite3_free(err);
  return message;
}

std::string SqliteDb::migrate() {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(LATTICE_MIGRATIONS_DIR))
    if (e.path().extension() == ".sql") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) return "no migrations in " LATTICE_MIGRATIONS_DIR;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    if (std::string err = script(text.str()); !err.empty()) return f.filename().string() + ": " + err;
  }
  return "";
}

std::string SqliteDb::batch(const std::vector<SqlStatement>& statements) {
  if (std::string err = script("BEGIN"); !err.empty()) return err;
  for (const auto& s : statements) {
    Json r = run(s.sql, s.params);
    if (!jsonBool(r, "ok")) {
      script("ROLLBACK");
      return jsonString(r, "error", "statement failed");
    }
  }
  return script("COMMIT");
}

Json SqliteDb::run(const std::string& sql, const Json& params) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
    return {{"ok", false}, {"error", sqlite3_errmsg(db_)}};
  for (size_t i = 0; params.is_array() && i < params.size(); ++i) {
    const Json& v = params[i];
    int idx = static_cast<int>(i + 1);
    if (v.is_null()) sqlite3_bind_null(stmt, idx);
    else if (v.is_boolean()) sqlite3_bind_int(stmt, idx, v.get<bool>() ? 1 : 0);
    else if (v.is_number_integer()) sqlite3_bind_int64(stmt, idx, v.get<long long>());
    else if (v.is_number()) sqlite3_bind_double(stmt, idx, v.get<double>());
    else if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      sqlite3_bind_text(stmt, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    } else {
      std::string s = v.dump();
      sqlite3_bind_text(stmt, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
  }
  const int before = sqlite3_total_changes(db_);
  Json rows = Json::array();
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Json row = Json::object();
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const char* name = sqlite3_column_name(stmt, c);
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER: row[name] = static_cast<long long>(sqlite3_column_int64(stmt, c)); break;
        case SQLITE_FLOAT: row[name] = sqlite3_column_double(stmt, c); break;
        case SQLITE_NULL: row[name] = nullptr; break;
        default:
          row[name] = std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                                  static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
      }
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    std::string err = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return {{"ok", false}, {"error", err}};
  }
  const bool readOnly = sqlite3_stmt_readonly(stmt);
  sqlite3_finalize(stmt);
  const long long written = sqlite3_total_changes(db_) - before;
  const auto read = static_cast<long long>(rows.size());
  return {{"ok", true},
          {"rows", std::move(rows)},
          {"meta", {{"rows_read", read}, {"rows_written", written}, {"changes", readOnly ? 0 : sqlite3_changes(db_)}}}};
}

SqlRows SqliteSql::exec(std::string_view sql, const Json& params) {
  Json r = db_.run(std::string(sql), params);
  SqlRows out;
  out.ok = jsonBool(r, "ok");
  out.error = jsonString(r, "error");
  if (out.ok) out.rows = std::move(r["rows"]);
  return out;
}

}  // namespace lattice::testing
