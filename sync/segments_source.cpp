#include "segments_source.h"

#include <string>
#include <unordered_map>

#include "config_reader.h"
#include "json_parse.h"
#include "jsonlogic.h"
#include "record.h"
#include "source.h"
#include "targeting_config.h"
#include "taxonomy.h"

namespace tailor::sync {
namespace {

// The record's `condition` compiled into `sc`; false (error recorded) when it is not JsonLogic.
bool read_condition(const Record& r, SegmentConfig& sc, ErrorList& errors) {
  const Value* v = r.find("condition");
  if (!v || v->kind == Value::Kind::kMissing) return true;
  nlohmann::json rule;
  switch (v->kind) {
    case Value::Kind::kText:
    case Value::Kind::kOther: {  // kOther: a JSON object, kept as its JSON text
      if (v->text.find_first_not_of(" \t\r\n") == std::string::npos) {
        if (v->kind == Value::Kind::kText) return true;  // empty text: no condition
        field_error(r, "condition", "expected JsonLogic (a JSON object or its text), got a nested list", errors);
        return false;
      }
      std::string why;
      if (!parse_json(v->text, rule, why)) {
        field_error(r, "condition", "not JSON (" + why + ")", errors);
        return false;
      }
      break;
    }
    case Value::Kind::kBool:
      rule = v->number != 0;
      break;
    case Value::Kind::kNumber:
      rule = v->integral ? nlohmann::json(v->integer) : nlohmann::json(v->number);
      break;
    default:
      field_error(r, "condition", std::string("expected JsonLogic (a JSON object or its text), got ") + value_kind_name(*v),
                  errors);
      return false;
  }
  std::string where, why;
  if (!compile_jsonlogic(rule, sc.condition, where, why)) {
    field_error(r, "condition", where.empty() ? why : where + ": " + why, errors);
    sc.condition.clear();
    return false;
  }
  condition_segment_refs(rule, "", sc.condition_segments);
  for (IdRef& ref : sc.condition_segments) ref.where = r.where().str() + ": field 'condition': " + ref.where;
  return true;
}

}  // namespace

void load_segments_source(Config& c, const std::filesystem::path& base_dir, ErrorList& errors,
                          const ProgressFn& progress) {
  if (!c.segments_source) return;
  std::unordered_map<std::string, std::string> first;  // id -> where it is defined
  for (const SegmentConfig& s : c.segments) first.emplace(s.id, c.file + ": " + at(s.where, "id"));
  bool over = false;
  read_records(*c.segments_source, errors, [&](const Record& r) {
    SegmentConfig sc;
    if (!read_record_id(r, sc.id, errors)) return !errors.full();
    if (c.segments.size() >= kMaxSegments) {
      errors.add(r.where().str() + ": more than " + std::to_string(kMaxSegments) +
                 " segments (segments and segments_source together)");
      over = true;
      return false;
    }
    auto [it, inserted] = first.emplace(sc.id, r.where().str());
    if (!inserted) {
      field_error(r, "id", "duplicate segment " + quote_value(sc.id) + " (also " + it->second + ")", errors);
      return !errors.full();
    }
    sc.where = r.where().str();
    sc.from_source = true;
    bool ok = read_text(r, "name", sc.name, errors) != Field::kError;
    ok = read_condition(r, sc, errors) && ok;
    if (ok) c.segments.push_back(std::move(sc));
    return !errors.full();
  }, progress, "segments");
  if (!errors.empty() || over) return;
  ConfigReader reader(c.file, base_dir, errors);
  check_condition_refs(reader, c);
}

}  // namespace tailor::sync
