#include "record.h"

#include <charconv>
#include <cmath>

#include "timestamp.h"

namespace tailor::sync {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const char* kind_name(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kText: return "text";
    case Value::Kind::kNumber: return "a number";
    case Value::Kind::kBool: return "a boolean";
    case Value::Kind::kList: return "a list";
    case Value::Kind::kMissing: return "null";
    default: return "an object";
  }
}

bool present(const Value* v) {
  return v && v->kind != Value::Kind::kMissing && !(v->kind == Value::Kind::kText && v->text.empty());
}

}  // namespace

const char* value_kind_name(const Value& v) { return kind_name(v); }

std::string number_text(double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(d);
}

std::string Location::str() const {
  std::string f = file ? *file : std::string("?");
  if (indexed) return f + "[#" + std::to_string(pos) + "]";
  if (row) return f + " row " + std::to_string(pos);
  return f + ":" + std::to_string(pos);
}

const Value* Record::find(std::string_view key) const {
  const auto& keys = *keys_;
  for (size_t i = 0; i < keys.size() && i < values_.size(); ++i)
    if (keys[i] == key) return &values_[i];
  return nullptr;
}

Value value_from_json(const nlohmann::json& j) {
  Value v;
  switch (j.type()) {
    case nlohmann::json::value_t::string:
      v.kind = Value::Kind::kText;
      v.text = *j.get_ptr<const std::string*>();
      break;
    case nlohmann::json::value_t::number_integer:
      v.kind = Value::Kind::kNumber;
      v.integral = true;
      v.integer = *j.get_ptr<const int64_t*>();
      v.number = static_cast<double>(v.integer);
      break;
    case nlohmann::json::value_t::number_unsigned: {
      uint64_t u = *j.get_ptr<const uint64_t*>();
      v.kind = Value::Kind::kNumber;
      v.number = static_cast<double>(u);
      if (u <= static_cast<uint64_t>(INT64_MAX)) {
        v.integral = true;
        v.integer = static_cast<int64_t>(u);
      }
      break;
    }
    case nlohmann::json::value_t::number_float:
      v.kind = Value::Kind::kNumber;
      v.number = *j.get_ptr<const double*>();
      break;
    case nlohmann::json::value_t::boolean:
      v.kind = Value::Kind::kBool;
      v.number = *j.get_ptr<const bool*>() ? 1 : 0;
      break;
    case nlohmann::json::value_t::array:
      v.kind = Value::Kind::kList;
      v.list.reserve(j.size());
      for (const auto& e : j) {
        Value x = value_from_json(e);
        if (x.kind == Value::Kind::kList) {
          x = Value();
          x.kind = Value::Kind::kOther;
        }
        v.list.push_back(std::move(x));
      }
      break;
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      break;
    default:  // an object: kept as its JSON text for the fields that take JSON (a segment's condition)
      v.kind = Value::Kind::kOther;
      v.text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return v;
}

Record record_from_json(const nlohmann::json& object, Location where) {
  auto keys = std::make_shared<std::vector<std::string>>();
  std::vector<Value> values;
  if (object.is_object()) {
    keys->reserve(object.size());
    values.reserve(object.size());
    for (auto it = object.begin(); it != object.end(); ++it) {
      keys->push_back(it.key());
      values.push_back(value_from_json(it.value()));
    }
  }
  return Record(std::move(keys), std::move(values), where);
}

void field_error(const Record& r, std::string_view key, std::string_view why, ErrorList& errors) {
  std::string m = r.where().str();
  m += ": field '";
  m += key;
  m += "': ";
  m += why;
  errors.add(std::move(m));
}

bool parse_double(std::string_view s, double& out) {
  s = trim(s);
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::general);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out);
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) { ++i; continue; }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

Field read_text(const Record& r, std::string_view key, std::string& out, ErrorList& errors) {
  const Value* v = r.find(key);
  if (!present(v)) return Field::kMissing;
  if (v->kind == Value::Kind::kText) {
    out = v->text;
    return Field::kOk;
  }
  if (v->kind == Value::Kind::kNumber && v->integral) {
    out = std::to_string(v->integer);
    return Field::kOk;
  }
  field_error(r, key, std::string("expected text, got ") + kind_name(*v), errors);
  return Field::kError;
}

Field read_number(const Record& r, std::string_view key, double& out, ErrorList& errors) {
  const Value* v = r.find(key);
  if (!present(v)) return Field::kMissing;
  if (v->kind == Value::Kind::kNumber) {
    out = v->number;
    return Field::kOk;
  }
  if (v->kind == Value::Kind::kText && parse_double(v->text, out)) return Field::kOk;
  if (v->kind == Value::Kind::kText)
    field_error(r, key, quote_value(v->text) + " is not a number", errors);
  else
    field_error(r, key, std::string("expected a number, got ") + kind_name(*v), errors);
  return Field::kError;
}

Field read_integer(const Record& r, std::string_view key, int64_t& out, ErrorList& errors) {
  const Value* v = r.find(key);
  if (!present(v)) return Field::kMissing;
  if (v->kind == Value::Kind::kNumber && v->integral) {
    out = v->integer;
    return Field::kOk;
  }
  if (v->kind == Value::Kind::kText) {
    std::string_view s = trim(v->text);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) return Field::kOk;
    field_error(r, key, quote_value(v->text) + " is not an integer", errors);
    return Field::kError;
  }
  if (v->kind == Value::Kind::kNumber && v->number == std::floor(v->number) && std::fabs(v->number) < 9e15) {
    out = static_cast<int64_t>(v->number);
    return Field::kOk;
  }
  if (v->kind == Value::Kind::kNumber)
    field_error(r, key, number_text(v->number) + " is not an integer", errors);
  else
    field_error(r, key, std::string("expected an integer, got ") + kind_name(*v), errors);
  return Field::kError;
}

Field read_timestamp(const Record& r, std::string_view key, int64_t& out, ErrorList& errors) {
  const Value* v = r.find(key);
  if (!present(v)) return Field::kMissing;
  std::string why;
  if (v->kind == Value::Kind::kNumber && v->integral) {
    if (timestamp_in_range(v->integer, why)) {
      out = v->integer;
      return Field::kOk;
    }
  } else if (v->kind == Value::Kind::kText) {
    if (auto t = parse_timestamp(v->text, why)) {
      out = *t;
      return Field::kOk;
    }
  } else {
    why = std::string("expected a timestamp (unix seconds or RFC 3339), got ") + kind_name(*v);
  }
  field_error(r, key, why, errors);
  return Field::kError;
}

Field read_list(const Record& r, std::string_view key, std::vector<std::string>& out, ErrorList& errors) {
  out.clear();
  const Value* v = r.find(key);
  if (!present(v)) return Field::kMissing;
  if (v->kind == Value::Kind::kList) {
    for (size_t i = 0; i < v->list.size(); ++i) {
      const Value& e = v->list[i];
      if (e.kind == Value::Kind::kText) {
        if (!e.text.empty()) out.push_back(e.text);
      } else if (e.kind == Value::Kind::kNumber && e.integral) {
        out.push_back(std::to_string(e.integer));
      } else {
        field_error(r, key, "element " + std::to_string(i) + ": expected text, got " + kind_name(e), errors);
        return Field::kError;
      }
    }
    return Field::kOk;
  }
  if (v->kind != Value::Kind::kText) {
    field_error(r, key, std::string("expected a list or 'a|b' text, got ") + kind_name(*v), errors);
    return Field::kError;
  }
  std::string_view s = v->text;
  while (true) {
    size_t bar = s.find('|');
    std::string_view tok = trim(s.substr(0, bar));
    if (!tok.empty()) out.emplace_back(tok);
    if (bar == std::string_view::npos) break;
    s.remove_prefix(bar + 1);
  }
  return out.empty() ? Field::kMissing : Field::kOk;
}

Field read_numbers(const Record& r, std::string_view key, std::vector<double>& out, ErrorList& errors) {
  out.clear();
  const Value* v = r.find(key);
  if (!present(v)) return Field::kMissing;
  if (v->kind == Value::Kind::kList) {
    for (size_t i = 0; i < v->list.size(); ++i) {
      const Value& e = v->list[i];
      double d;
      if (e.kind == Value::Kind::kNumber) {
        out.push_back(e.number);
      } else if (e.kind == Value::Kind::kText && parse_double(e.text, d)) {
        out.push_back(d);
      } else {
        field_error(r, key, "element " + std::to_string(i) + " is not a number", errors);
        return Field::kError;
      }
    }
    return Field::kOk;
  }
  if (v->kind != Value::Kind::kText) {
    field_error(r, key, std::string("expected numbers, got ") + kind_name(*v), errors);
    return Field::kError;
  }
  std::string_view s = v->text;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '\t' || s[i] == '[' || s[i] == ']')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != ',' && s[j] != '\t' && s[j] != ']') ++j;
    if (j == i) break;
    double d;
    if (!parse_double(s.substr(i, j - i), d)) {
      field_error(r, key, "element " + std::to_string(out.size()) + " " + quote_value(s.substr(i, j - i)) +
                              " is not a number",
                  errors);
      return Field::kError;
    }
    out.push_back(d);
    i = j;
  }
  return out.empty() ? Field::kMissing : Field::kOk;
}

}  // namespace tailor::sync
