// Record: one source row (CSV line, NDJSON line or JSON array element) as field name -> value,
// so the code that maps rows to items and events is the same for every format.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "errors.h"

namespace tailor::sync {

struct Value {
  enum class Kind : uint8_t { kMissing, kText, kNumber, kBool, kList, kOther };
  Kind kind = Kind::kMissing;
  bool integral = false;    // kNumber written as an integer (JSON)
  int64_t integer = 0;      // kNumber && integral
  double number = 0;        // kNumber
  std::string text;         // kText; kOther from a JSON object: its JSON text
  std::vector<Value> list;  // kList
};

// Where a record starts: "items.csv:17" (physical line), "items.json[#3]" (array index, 0-based)
// or "postgres:catalog row 3" (database row, 1-based).
struct Location {
  const std::string* file = nullptr;
  uint64_t pos = 0;
  bool indexed = false;
  bool row = false;
  std::string str() const;
};

class Record {
 public:
  Record(std::shared_ptr<const std::vector<std::string>> keys, std::vector<Value> values, Location where)
      : keys_(std::move(keys)), values_(std::move(values)), where_(where) {}

  // The value of field `key`, or nullptr when the record has no such field.
  const Value* find(std::string_view key) const;
  const Location& where() const { return where_; }
  // Field names and values in the same order (the mapping layer rebuilds records from them).
  const std::shared_ptr<const std::vector<std::string>>& keys() const { return keys_; }
  std::vector<Value>& values() { return values_; }
  const std::vector<Value>& values() const { return values_; }

 private:
  std::shared_ptr<const std::vector<std::string>> keys_;
  std::vector<Value> values_;
  Location where_;
};

// A JSON value as a Value (objects and nested arrays become kOther, objects with their JSON text;
// null becomes kMissing).
Value value_from_json(const nlohmann::json& j);
// A JSON object as a Record.
Record record_from_json(const nlohmann::json& object, Location where);

// ---- typed field reads: kMissing (absent, null or empty text), kOk, or kError after adding
// "<where>: field '<key>': <why>" to `errors`. ----
enum class Field { kMissing, kOk, kError };

void field_error(const Record& r, std::string_view key, std::string_view why, ErrorList& errors);
// Text; JSON integers are accepted as their decimal form (ids are often numbers in JSON).
Field read_text(const Record& r, std::string_view key, std::string& out, ErrorList& errors);
// A finite number: JSON number or decimal text.
Field read_number(const Record& r, std::string_view key, double& out, ErrorList& errors);
// An integer: JSON integer or integer text.
Field read_integer(const Record& r, std::string_view key, int64_t& out, ErrorList& errors);
// Unix seconds or RFC 3339, within 1970..9999.
Field read_timestamp(const Record& r, std::string_view key, int64_t& out, ErrorList& errors);
// A list of strings: JSON array of text, or text split on '|' (tokens trimmed, empty ones
// dropped). An empty JSON array is kOk with an empty list.
Field read_list(const Record& r, std::string_view key, std::vector<std::string>& out, ErrorList& errors);
// A list of finite numbers: JSON array of numbers, or text separated by spaces or commas.
Field read_numbers(const Record& r, std::string_view key, std::vector<double>& out, ErrorList& errors);

// "text", "a number", "a boolean", "a list", "null", "an object": for messages.
const char* value_kind_name(const Value& v);

// A number for messages: the shortest decimal that reads back the same ("-1", "0.15", "1e+20"),
// as source values and config numbers are quoted everywhere else.
std::string number_text(double d);
// Parses a whole trimmed string as a finite double (no "nan"/"inf", no hex).
bool parse_double(std::string_view s, double& out);
// True when `s` is valid UTF-8.
bool valid_utf8(std::string_view s);

}  // namespace tailor::sync
