#include "mapping.h"

#include <charconv>
#include <cmath>
#include <unordered_map>

namespace tailor::sync {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool present(const Value& v) {
  return v.kind != Value::Kind::kMissing && !(v.kind == Value::Kind::kText && v.text.empty());
}

Value text_value(std::string s) {
  Value v;
  v.kind = Value::Kind::kText;
  v.text = std::move(s);
  return v;
}

Value number_value(double d) {
  Value v;
  v.kind = Value::Kind::kNumber;
  v.number = d;
  if (d == std::floor(d) && std::fabs(d) < 9e15) {
    v.integral = true;
    v.integer = static_cast<int64_t>(d);
  }
  return v;
}

std::string format_number(const Value& v) {
  return v.integral ? std::to_string(v.integer) : number_text(v.number);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::optional<FieldMap::Type> field_type_from_name(std::string_view name) {
  if (name == "text") return FieldMap::Type::kText;
  if (name == "number") return FieldMap::Type::kNumber;
  if (name == "integer") return FieldMap::Type::kInteger;
  if (name == "boolean") return FieldMap::Type::kBoolean;
  if (name == "list") return FieldMap::Type::kList;
  return std::nullopt;
}

bool RecordMapper::check_columns(const std::vector<std::string>& columns) {
  bool ok = true;
  for (size_t i = 0; i < mapping_.fields.size(); ++i) {
    const FieldMap& f = mapping_.fields[i];
    if (f.column.empty()) continue;
    bool found = false;
    for (const std::string& c : columns) found = found || c == f.column;
    seen_[i] = seen_[i] || found;
    if (found) continue;
    std::string list;
    for (size_t k = 0; k < columns.size() && k < 24; ++k) list += (k ? ", " : "") + columns[k];
    if (columns.size() > 24) list += ", ...";
    errors_.add(source_ + ": " + f.where + ": unknown column " + quote_value(f.column) + " (the source has: " +
                (list.empty() ? std::string("no columns") : list) + ")");
    ok = false;
  }
  return ok;
}

void RecordMapper::plan_for(const std::shared_ptr<const std::vector<std::string>>& keys) {
  plan_.in_keys = keys;
  const std::vector<std::string>& in = *keys;
  std::unordered_map<std::string_view, int32_t> index;
  for (size_t i = 0; i < in.size(); ++i) index.emplace(in[i], static_cast<int32_t>(i));
  auto out = std::make_shared<std::vector<std::string>>();
  plan_.source.clear();
  std::unordered_map<std::string_view, bool> shadowed;
  for (size_t i = 0; i < mapping_.fields.size(); ++i) {
    const FieldMap& f = mapping_.fields[i];
    out->push_back(f.field);
    shadowed.emplace(f.field, true);
    int32_t s = -1;
    if (!f.column.empty()) {
      auto it = index.find(f.column);
      if (it != index.end()) {
        s = it->second;
        seen_[i] = true;
      }
    }
    plan_.source.push_back(s);
  }
  for (size_t i = 0; i < in.size(); ++i) {
    if (shadowed.count(in[i])) continue;
    out->push_back(in[i]);
    plan_.source.push_back(static_cast<int32_t>(i));
  }
  plan_.out_keys = std::move(out);
}

bool RecordMapper::coerce(const Record& r, const FieldMap& f, Value& v) {
  auto fail = [&](const std::string& why) {
    std::string m = r.where().str() + ": field '" + f.field + "'";
    if (!f.column.empty() && f.column != f.field) m += " (column '" + f.column + "')";
    errors_.add(m + ": " + why);
    return false;
  };
  auto got = [&](const char* expected) { return std::string("expected ") + expected + ", got " + value_kind_name(v); };
  switch (f.type) {
    case FieldMap::Type::kAsIs: break;
    case FieldMap::Type::kText:
      if (v.kind == Value::Kind::kText) break;
      if (v.kind == Value::Kind::kNumber) v = text_value(format_number(v));
      else if (v.kind == Value::Kind::kBool) v = text_value(v.number != 0 ? "true" : "false");
      else return fail(got("text"));
      break;
    case FieldMap::Type::kNumber:
    case FieldMap::Type::kInteger: {
      double d = 0;
      if (v.kind == Value::Kind::kNumber) d = v.number;
      else if (v.kind == Value::Kind::kText && parse_double(v.text, d)) {
      } else if (v.kind == Value::Kind::kText) {
        return fail(quote_value(v.text) + (f.type == FieldMap::Type::kInteger ? " is not an integer" : " is not a number"));
      } else {
        return fail(got(f.type == FieldMap::Type::kInteger ? "an integer" : "a number"));
      }
      if (f.scale) d *= *f.scale;
      if (!std::isfinite(d)) return fail("out of range");
      if (f.type == FieldMap::Type::kInteger && !(d == std::floor(d) && std::fabs(d) < 9e15))
        return fail(format_number(number_value(d)) + " is not an integer");
      v = number_value(d);
      break;
    }
    case FieldMap::Type::kBoolean:
      if (v.kind == Value::Kind::kBool) break;
      if (v.kind == Value::Kind::kText) {
        std::string t = lower(trim(v.text));
        bool b;
        if (t == "true" || t == "t" || t == "yes" || t == "y" || t == "1") b = true;
        else if (t == "false" || t == "f" || t == "no" || t == "n" || t == "0") b = false;
        else return fail(quote_value(v.text) + " is not a boolean (true/false, t/f, yes/no, 1/0)");
        v = Value();
        v.kind = Value::Kind::kBool;
        v.number = b ? 1 : 0;
      } else if (v.kind == Value::Kind::kNumber && (v.number == 0 || v.number == 1)) {
        double b = v.number;
        v = Value();
        v.kind = Value::Kind::kBool;
        v.number = b;
      } else {
        return fail(got("a boolean"));
      }
      break;
    case FieldMap::Type::kList: {
      if (v.kind == Value::Kind::kList) break;
      if (v.kind != Value::Kind::kText) {
        if (v.kind == Value::Kind::kOther) return fail(got("a list or delimited text"));
        Value one = std::move(v);
        v = Value();
        v.kind = Value::Kind::kList;
        v.list.push_back(std::move(one));
        break;
      }
      const std::string sep = f.split.empty() ? std::string("|") : f.split;
      Value list;
      list.kind = Value::Kind::kList;
      std::string_view s = v.text;
      while (true) {
        size_t at = s.find(sep);
        std::string_view tok = trim(s.substr(0, at));
        if (!tok.empty()) list.list.push_back(text_value(std::string(tok)));
        if (at == std::string_view::npos) break;
        s.remove_prefix(at + sep.size());
      }
      v = std::move(list);
      break;
    }
  }
  return true;
}

bool RecordMapper::apply(Record& r) {
  if (mapping_.empty()) return true;
  if (r.keys() != plan_.in_keys || !plan_.out_keys) plan_for(r.keys());
  std::vector<Value>& in = r.values();
  const size_t nf = mapping_.fields.size();
  std::vector<Value> out(plan_.out_keys->size());
  bool ok = true;
  for (size_t i = 0; i < nf; ++i) {
    const FieldMap& f = mapping_.fields[i];
    Value& v = out[i];
    if (f.value) v = *f.value;
    else if (plan_.source[i] >= 0 && static_cast<size_t>(plan_.source[i]) < in.size()) v = in[plan_.source[i]];
    if (!present(v) && f.fallback) v = *f.fallback;
    if (present(v) && !coerce(r, f, v)) ok = false;
  }
  for (size_t i = nf; i < out.size(); ++i)
    if (static_cast<size_t>(plan_.source[i]) < in.size()) out[i] = std::move(in[plan_.source[i]]);
  r = Record(plan_.out_keys, std::move(out), r.where());
  return ok;
}

void RecordMapper::finish(uint64_t records) {
  if (records == 0) return;
  for (size_t i = 0; i < mapping_.fields.size(); ++i) {
    const FieldMap& f = mapping_.fields[i];
    if (f.column.empty() || seen_[i]) continue;
    errors_.add(source_ + ": " + f.where + ": column " + quote_value(f.column) + " is in none of the " +
                std::to_string(records) + " records");
  }
}

}  // namespace tailor::sync
