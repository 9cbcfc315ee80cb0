// Mapping: a source's `map` (docs/sources.md) turns source columns into the field names the
// record readers expect (items, categories, events, ...): rename, constant values, defaults for
// missing values, type coercion, splitting delimited text into a list, scaling numbers.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "errors.h"
#include "record.h"

namespace tailor::sync {

struct FieldMap {
  enum class Type : uint8_t { kAsIs, kText, kNumber, kInteger, kBoolean, kList };
  std::string field;             // the Tailor field the record gets
  std::string column;            // the source column; empty for a constant
  std::optional<Value> value;    // constant (no column)
  std::optional<Value> fallback; // used when the column is absent, null or empty text
  Type type = Type::kAsIs;
  std::string split;             // kList: separator for text values ("|" when unset)
  std::optional<double> scale;   // kNumber: multiplier applied after coercion
  std::string where;             // config path, "items.map.price"
};

struct Mapping {
  std::vector<FieldMap> fields;
  bool empty() const { return fields.empty(); }
};

constexpr size_t kMaxMappedFields = 256;

// "text", "number", "integer", "boolean", "list".
std::optional<FieldMap::Type> field_type_from_name(std::string_view name);

// Applies a Mapping to the records of one source. Mapped fields come first; every source column
// that no mapped field shadows passes through under its own name, so a map only lists what differs.
class RecordMapper {
 public:
  RecordMapper(const Mapping& mapping, const std::string& source_name, ErrorList& errors)
      : mapping_(mapping), source_(source_name), errors_(errors), seen_(mapping.fields.size(), false) {}

  // For sources with a fixed set of columns (CSV header, query result): reports every mapped column
  // that is not among them ("items.csv: map.title: unknown column 'nme' (columns: id, name)").
  // Returns false when any is unknown.
  bool check_columns(const std::vector<std::string>& columns);
  // Rewrites `r` in place. Returns false (after reporting "<where>: field 'price' (column 'cost'):
  // ...") when a value cannot be coerced to its declared type.
  bool apply(Record& r);
  // For JSON and NDJSON sources, whose records each have their own keys: reports mapped columns
  // that no record had (only when there was at least one record).
  void finish(uint64_t records);

 private:
  struct Plan {
    std::shared_ptr<const std::vector<std::string>> in_keys;  // the schema this plan was made for
    std::shared_ptr<const std::vector<std::string>> out_keys;
    std::vector<int32_t> source;  // per output key: input index, or -1 (column absent / constant)
  };
  void plan_for(const std::shared_ptr<const std::vector<std::string>>& keys);
  bool coerce(const Record& r, const FieldMap& f, Value& v);

  const Mapping& mapping_;
  const std::string& source_;
  ErrorList& errors_;
  std::vector<bool> seen_;
  Plan plan_;
};

}  // namespace tailor::sync
