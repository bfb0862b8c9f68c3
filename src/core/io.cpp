#include "core/io.h"

namespace lattice {

void Io::log(std::string_view level, std::string_view message, Json fields) {
  emits_.push_back({{"kind", "log"},
                    {"level", std::string(level)},
                    {"message", std::string(message)},
                    {"fields", std::move(fields)}});
}

void Io::metric(std::string_view name, double value) {
  emits_.push_back({{"kind", "metric"}, {"name", std::string(name)}, {"value", value}});
}

void Io::resume(Json result) {
  result_ = std::move(result);
  auto h = std::exchange(waiting_, nullptr);
  h.resume();
}

D1Result parseD1Result(const Json& r) {
  D1Result out;
  out.ok = jsonBool(r, "ok");
  out.error = jsonString(r, "error");
  if (auto it = r.find("rows"); it != r.end() && it->is_array()) out.rows = *it;
  if (auto it = r.find("meta"); it != r.end() && it->is_object()) {
    out.rowsRead = jsonInt(*it, "rows_read");
    out.rowsWritten = jsonInt(*it, "rows_written");
    out.changes = jsonInt(*it, "changes");
  }
  if (!out.ok && out.error.empty()) out.error = "d1 effect failed";
  return out;
}

Task<D1Result> Io::query(SqlStatement statement, std::string coalesce) {
  // Effects are built before co_await: g++ 12 mishandles braced literals inside co_await.
  Json effect = {{"kind", "d1.query"},
                 {"binding", binding::kDatabase},
                 {"sql", std::move(statement.sql)},
                 {"params", std::move(statement.params)}};
  if (!coalesce.empty()) effect["coalesce"] = std::move(coalesce);
  ++d1Calls_;
  Json r = co_await perform(std::move(effect));
  co_return parseD1Result(r);
}

Task<D1BatchResult> Io::batch(std::vector<SqlStatement> statements, std::string coalesce) {
  Json list = Json::array();
  for (auto& s : statements) list.push_back({{"sql", std::move(s.sql)}, {"params", std::move(s.params)}});
  Json effect = {{"kind", "d1.batch"}, {"binding", binding::kDatabase}, {"statements", std::move(list)}};
  if (!coalesce.empty()) effect["coalesce"] = std::move(coalesce);
  ++d1Calls_;
  Json r = co_await perform(std::move(effect));
  D1BatchResult out;
  out.ok = jsonBool(r, "ok");
  out.error = jsonString(r, "error");
  if (auto it = r.find("results"); out.ok && it != r.end() && it->is_array()) {
    for (const auto& one : *it) {
      Json withOk = one;
      withOk["ok"] = true;
      out.results.push_back(parseD1Result(withOk));
    }
  }
  if (!out.ok && out.error.empty()) out.error = "d1 batch failed";
  co_return out;
}

}  // namespace lattice
