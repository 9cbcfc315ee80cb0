#include "source_config.h"

#include <cmath>

#include "postgres_source.h"

namespace tailor::sync {

using json = nlohmann::json;

bool read_postgres_source(ConfigReader& r, const json& pg, const std::string& path, SourceSpec& out) {
  if (!r.object(pg, path, {"dsn", "dsn_env", "table", "query", "order_by"})) return false;
  auto dsn = r.text(pg, "dsn", path);
  auto dsn_env = r.id(pg, "dsn_env", path, false);
  auto table = r.id(pg, "table", path, false);
  auto query = r.id(pg, "query", path, false);
  bool ok = true;
  if (dsn.has_value() == dsn_env.has_value()) {
    r.error(path, "set exactly one of dsn_env (an environment variable holding the connection string) or dsn");
    ok = false;
  }
  if (dsn && dsn->empty()) {
    r.error(at(path, "dsn"), "must not be empty");
    ok = false;
  }
  if (table.has_value() == query.has_value()) {
    r.error(path, "set exactly one of table or query");
    ok = false;
  }
  if (const json* o = r.member(pg, "order_by", path, false)) {
    if (!table) {
      r.error(at(path, "order_by"), "only for a table (write ORDER BY in the query)");
      ok = false;
    } else if (o->is_string() && !o->get_ptr<const std::string*>()->empty()) {
      out.postgres.order_by.push_back(*o->get_ptr<const std::string*>());
    } else if (o->is_array() && !o->empty()) {
      for (size_t i = 0; i < o->size(); ++i) {
        const json& c = (*o)[i];
        if (c.is_string() && !c.get_ptr<const std::string*>()->empty())
          out.postgres.order_by.push_back(*c.get_ptr<const std::string*>());
        else {
          r.error(at(at(path, "order_by"), i), "expected a column name");
          ok = false;
        }
      }
    } else {
      r.error(at(path, "order_by"), "expected a column name or an array of column names");
      ok = false;
    }
  }
  if (!ok) return false;
  out.kind = SourceKind::kPostgres;
  out.postgres.dsn = dsn.value_or("");
  out.postgres.dsn_env = dsn_env.value_or("");
  out.postgres.table = table.value_or("");
  out.postgres.query = query.value_or("");
  out.name = table ? "postgres:" + *table : "postgres:" + at(path, "query");
  std::string why;
  if (!postgres_dsn(out.postgres, why)) {
    r.error(at(path, "dsn_env"), why);
    return false;
  }
  return true;
}

namespace {

bool scalar_or_list(const json& j) {
  if (j.is_array()) {
    for (const json& e : j)
      if (!(e.is_string() || e.is_number() || e.is_boolean())) return false;
    return true;
  }
  return j.is_string() || j.is_number() || j.is_boolean();
}

}  // namespace

bool read_mapping(ConfigReader& r, const json& map, const std::string& path, Mapping& out) {
  if (!map.is_object()) {
    r.error(path, std::string("expected an object {\"field\": \"column\" | {...}}, got ") + map.type_name());
    return false;
  }
  if (map.size() > kMaxMappedFields) {
    r.error(path, std::to_string(map.size()) + " fields, at most " + std::to_string(kMaxMappedFields));
    return false;
  }
  bool ok = true;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string p = at(path, it.key());
    FieldMap f;
    f.field = it.key();
    f.where = p;
    if (f.field.empty()) {
      r.error(path, "a field name must not be empty");
      ok = false;
      continue;
    }
    const json& v = it.value();
    if (v.is_string()) {
      f.column = *v.get_ptr<const std::string*>();
      if (f.column.empty()) {
        r.error(p, "column name must not be empty");
        ok = false;
        continue;
      }
      out.fields.push_back(std::move(f));
      continue;
    }
    if (!r.object(v, p, {"column", "value", "default", "type", "split", "scale"})) {
      ok = false;
      continue;
    }
    bool field_ok = true;
    auto column = r.id(v, "column", p, false);
    const json* value = r.member(v, "value", p, false);
    const json* fallback = r.member(v, "default", p, false);
    if (column.has_value() == (value != nullptr)) {
      r.error(p, "set exactly one of column (a source column) or value (a constant)");
      field_ok = false;
    }
    if (fallback && !column) {
      r.error(at(p, "default"), "only with column (a constant needs no default)");
      field_ok = false;
    }
    for (auto [key, j] : {std::pair{"value", value}, std::pair{"default", fallback}}) {
      if (j && !scalar_or_list(*j)) {
        r.error(at(p, key), "expected a string, number, boolean or an array of them");
        field_ok = false;
      }
    }
    if (auto type = r.text(v, "type", p)) {
      if (auto t = field_type_from_name(*type)) f.type = *t;
      else {
        r.error(at(p, "type"), "unknown type " + quote_value(*type) + " (expected one of: text, number, integer, boolean, list)");
        field_ok = false;
      }
    }
    if (auto split = r.text(v, "split", p)) {
      if (split->empty()) {
        r.error(at(p, "split"), "must not be empty");
        field_ok = false;
      } else if (f.type != FieldMap::Type::kAsIs && f.type != FieldMap::Type::kList) {
        r.error(at(p, "split"), "only for type list");
        field_ok = false;
      }
      f.split = *split;
      if (f.type == FieldMap::Type::kAsIs) f.type = FieldMap::Type::kList;
    }
    if (auto scale = r.number(v, "scale", p)) {
      if (f.type != FieldMap::Type::kAsIs && f.type != FieldMap::Type::kNumber && f.type != FieldMap::Type::kInteger) {
        r.error(at(p, "scale"), "only for type number or integer");
        field_ok = false;
      }
      f.scale = *scale;
      if (f.type == FieldMap::Type::kAsIs) f.type = FieldMap::Type::kNumber;
    }
    if (!field_ok) {
      ok = false;
      continue;
    }
    f.column = column.value_or("");
    if (value) f.value = value_from_json(*value);
    if (fallback) f.fallback = value_from_json(*fallback);
    out.fields.push_back(std::move(f));
  }
  return ok;
}

}  // namespace tailor::sync
