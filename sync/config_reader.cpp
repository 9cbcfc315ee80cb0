#include "config_reader.h"

#include <algorithm>
#include <cmath>

#include "source_config.h"
#include "timestamp.h"

namespace tailor::sync {

using json = nlohmann::json;

std::string at(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string at(const std::string& path, size_t index) { return path + "[" + std::to_string(index) + "]"; }

void ConfigReader::error(const std::string& path, const std::string& msg) {
  errors_.add(file_ + ": " + (path.empty() ? "" : path + ": ") + msg);
}

bool ConfigReader::object(const json& j, const std::string& path, std::initializer_list<std::string_view> allowed) {
  if (!j.is_object()) {
    error(path, std::string("expected an object, got ") + j.type_name());
    return false;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (std::string_view a : allowed) known = known || it.key() == a;
    if (!known) {
      std::string list;
      for (std::string_view a : allowed)
        if (a[0] != '$') list += (list.empty() ? "" : ", ") + std::string(a);
      error(at(path, it.key()), "unknown field (expected one of: " + list + ")");
    }
  }
  return true;
}

const nlohmann::json* ConfigReader::member(const json& obj, std::string_view key, const std::string& path,
                                           bool required) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) error(at(path, key), "is required");
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> ConfigReader::text(const json& obj, std::string_view key, const std::string& path,
                                              bool required) {
  const json* v = member(obj, key, path, required);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    error(at(path, key), std::string("expected a string, got ") + v->type_name());
    return std::nullopt;
  }
  return *v->get_ptr<const std::string*>();
}

std::optional<std::string> ConfigReader::id(const json& obj, std::string_view key, const std::string& path,
                                            bool required) {
  auto s = text(obj, key, path, required);
  if (s && s->empty()) {
    error(at(path, key), "must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<double> ConfigReader::number(const json& obj, std::string_view key, const std::string& path,
                                           bool required) {
  const json* v = member(obj, key, path, required);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    error(at(path, key), std::string("expected a number, got ") + v->type_name());
    return std::nullopt;
  }
  double d = v->is_number_float()      ? *v->get_ptr<const double*>()
             : v->is_number_unsigned() ? static_cast<double>(*v->get_ptr<const uint64_t*>())
                                       : static_cast<double>(*v->get_ptr<const int64_t*>());
  if (!std::isfinite(d) || std::fabs(d) > 3.0e38) {
    error(at(path, key), "number out of range");
    return std::nullopt;
  }
  return d;
}

std::optional<int64_t> ConfigReader::integer(const json& obj, std::string_view key, const std::string& path, int64_t lo,
                                             int64_t hi, bool required) {
  const json* v = member(obj, key, path, required);
  if (!v) return std::nullopt;
  int64_t x;
  if (v->is_number_integer() && !v->is_number_unsigned())
    x = *v->get_ptr<const int64_t*>();
  else if (v->is_number_unsigned() && *v->get_ptr<const uint64_t*>() <= uint64_t(INT64_MAX))
    x = static_cast<int64_t>(*v->get_ptr<const uint64_t*>());
  else {
    error(at(path, key), v->is_number_float() ? std::string("expected an integer, got a fraction")
                         : v->is_number()     ? std::string("integer out of range")
                                              : std::string("expected an integer, got ") + v->type_name());
    return std::nullopt;
  }
  if (x < lo || x > hi) {
    error(at(path, key), std::to_string(x) + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
    return std::nullopt;
  }
  return x;
}

std::optional<bool> ConfigReader::boolean(const json& obj, std::string_view key, const std::string& path) {
  const json* v = member(obj, key, path, false);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    error(at(path, key), std::string("expected true or false, got ") + v->type_name());
    return std::nullopt;
  }
  return *v->get_ptr<const bool*>();
}

std::optional<int64_t> ConfigReader::timestamp(const json& obj, std::string_view key, const std::string& path) {
  const json* v = member(obj, key, path, false);
  if (!v) return std::nullopt;
  std::string why;
  if (v->is_number_integer()) {
    int64_t t = v->is_number_unsigned()
                    ? static_cast<int64_t>(std::min<uint64_t>(*v->get_ptr<const uint64_t*>(), uint64_t(INT64_MAX)))
                    : *v->get_ptr<const int64_t*>();
    if (timestamp_in_range(t, why)) return t;
  } else if (v->is_string()) {
    if (auto t = parse_timestamp(*v->get_ptr<const std::string*>(), why)) return t;
  } else {
    why = std::string("expected unix seconds or an RFC 3339 string, got ") + v->type_name();
  }
  error(at(path, key), why);
  return std::nullopt;
}

std::vector<IdRef> ConfigReader::ids(const json& obj, std::string_view key, const std::string& path, bool required) {
  std::vector<IdRef> out;
  const json* v = member(obj, key, path, required);
  if (!v) return out;
  std::string p = at(path, key);
  if (!v->is_array()) {
    error(p, std::string("expected an array of ids, got ") + v->type_name());
    return out;
  }
  for (size_t i = 0; i < v->size(); ++i) {
    const json& e = (*v)[i];
    if (e.is_string() && !e.get_ptr<const std::string*>()->empty())
      out.push_back({*e.get_ptr<const std::string*>(), at(p, i)});
    else if (e.is_number_integer())
      out.push_back({e.dump(), at(p, i)});
    else
      error(at(p, i), e.is_string() ? "must not be empty" : std::string("expected a string, got ") + e.type_name());
  }
  return out;
}

std::optional<SourceSpec> ConfigReader::source(const json& obj, std::string_view key, const std::string& path,
                                               bool required) {
  const json* v = member(obj, key, path, required);
  if (!v) return std::nullopt;
  std::string p = at(path, key);
  if (!object(*v, p, {"path", "format", "postgres", "map"})) return std::nullopt;
  SourceSpec s;
  if (const json* m = member(*v, "map", p, false))
    if (!read_mapping(*this, *m, at(p, "map"), s.map)) return std::nullopt;
  if (const json* pg = member(*v, "postgres", p, false)) {
    if (v->contains("path") || v->contains("format")) {
      error(p, "set either path (a file) or postgres, not both");
      return std::nullopt;
    }
    if (!read_postgres_source(*this, *pg, at(p, "postgres"), s)) return std::nullopt;
    return s;
  }
  if (!v->contains("path")) {
    error(p, "set path (a CSV, NDJSON or JSON file) or postgres (a table or query)");
    return std::nullopt;
  }
  auto file = text(*v, "path", p, true);
  auto format = text(*v, "format", p);
  if (!file) return std::nullopt;
  if (file->empty()) {
    error(at(p, "path"), "must not be empty");
    return std::nullopt;
  }
  s.name = *file;
  s.file = std::filesystem::path(*file).is_absolute() ? std::filesystem::path(*file) : base_ / *file;
  std::optional<Format> f = format ? format_from_name(*format) : format_from_extension(*file);
  if (!f) {
    if (format)
      error(at(p, "format"), "unknown format " + quote_value(*format) + " (expected one of: csv, ndjson, json)");
    else
      error(at(p, "format"), "cannot tell the format of " + quote_value(*file) +
                                 " from its extension; set format to csv, ndjson or json");
    return std::nullopt;
  }
  s.format = *f;
  return s;
}

void ConfigReader::unique(std::map<std::string, std::string>& seen, const std::string& id, const std::string& path) {
  auto [it, inserted] = seen.emplace(id, path);
  if (!inserted) error(path, "duplicate id " + quote_value(id) + " (also " + it->second + ")");
}

}  // namespace tailor::sync
