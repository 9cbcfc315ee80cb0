#include "targeting_config.h"

#include <map>

#include "jsonlogic.h"

namespace tailor::sync {
namespace {

using nlohmann::json;

// {"var": "segments"} or {"var": ["segments", default?]}.
bool is_segments_var(const json& v) {
  if (!v.is_object() || v.size() != 1) return false;
  auto it = v.find("var");
  if (it == v.end()) return false;
  const json& a = it->is_array() && !it->empty() ? (*it)[0] : *it;
  return a.is_string() && a.get_ref<const std::string&>() == "segments";
}

// Adds the key of every literal {"var": "profile.<key>..."} to `out`. The arguments of map,
// filter, reduce, all, none and some after the first are skipped: their vars name the element.
void profile_var_refs(const json& rule, const std::string& path, std::vector<IdRef>& out) {
  if (rule.is_array()) {
    for (size_t i = 0; i < rule.size(); ++i) profile_var_refs(rule[i], at(path, i), out);
    return;
  }
  if (!rule.is_object()) return;
  for (auto it = rule.begin(); it != rule.end(); ++it) {
    const json& args = it.value();
    const std::string p = at(path, it.key());
    if (it.key() == "var") {
      const json& a = args.is_array() && !args.empty() ? args[0] : args;
      if (a.is_string()) {
        const std::string& name = a.get_ref<const std::string&>();
        if (name.rfind("profile.", 0) == 0) {
          std::string key = name.substr(8);
          key = key.substr(0, key.find('.'));
          out.push_back(IdRef{key, args.is_array() ? at(p, size_t{0}) : p});
        }
      }
      continue;
    }
    const std::string& op = it.key();
    if ((op == "map" || op == "filter" || op == "reduce" || op == "all" || op == "none" || op == "some") &&
        args.is_array() && !args.empty()) {
      profile_var_refs(args[0], at(p, size_t{0}), out);
      continue;
    }
    profile_var_refs(args, p, out);
  }
}

}  // namespace

void condition_segment_refs(const json& rule, const std::string& path, std::vector<IdRef>& out) {
  if (rule.is_array()) {
    for (size_t i = 0; i < rule.size(); ++i) condition_segment_refs(rule[i], at(path, i), out);
    return;
  }
  if (!rule.is_object()) return;
  for (auto it = rule.begin(); it != rule.end(); ++it) {
    const json& args = it.value();
    if (it.key() == "in" && args.is_array() && args.size() == 2 && args[0].is_string() && is_segments_var(args[1]))
      out.push_back(IdRef{args[0].get<std::string>(), at(at(path, "in"), size_t{0})});
    condition_segment_refs(args, at(path, it.key()), out);
  }
}

void parse_condition(ConfigReader& r, const json& obj, const std::string& path, std::vector<uint8_t>& program,
                     std::vector<IdRef>& segment_refs) {
  program.clear();
  const json* v = r.member(obj, "condition", path, false);
  if (!v) return;
  const std::string p = at(path, "condition");
  std::string where, why;
  if (!compile_jsonlogic(*v, program, where, why)) {
    r.error(where.empty() ? p : p + "." + where, why);
    program.clear();
    return;
  }
  condition_segment_refs(*v, p, segment_refs);
  profile_var_refs(*v, p, r.profile_vars);
}

void parse_segments(ConfigReader& r, const json& root, Config& c) {
  c.segments_source = r.source(root, "segments_source", "", false);
  const json* v = r.member(root, "segments", "", false);
  if (!v) return;
  if (!v->is_array()) return r.error("segments", std::string("expected an array, got ") + v->type_name());
  if (v->size() > kMaxSegments)
    r.error("segments", std::to_string(v->size()) + " segments, at most " + std::to_string(kMaxSegments) +
                            " are supported (with segments_source's)");
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < v->size(); ++i) {
    std::string p = at("segments", i);
    const json& s = (*v)[i];
    if (!r.object(s, p, {"id", "name", "condition"})) continue;
    SegmentConfig sc;
    auto id = r.id(s, "id", p);
    if (id) r.unique(seen, *id, at(p, "id"));
    sc.name = r.text(s, "name", p).value_or("");
    parse_condition(r, s, p, sc.condition, sc.condition_segments);
    if (!id) continue;
    sc.id = *id;
    sc.where = p;
    c.segments.push_back(std::move(sc));
  }
}

void check_condition_refs(ConfigReader& r, const Config& c) {
  // profile.<key>: a built-in profile fact or a declared attribute on profiles.
  for (const IdRef& ref : r.profile_vars) {
    bool ok = false;
    for (const char* b : {"top_categories", "top_brands", "segments", "viewed", "bought", "updated_at"}) ok = ok || ref.id == b;
    for (const AttributeConfig& a : c.profile_attributes) ok = ok || ref.id == a.name;
    if (!ok)
      r.error(ref.where, "unknown profile key " + quote_value(ref.id) +
                             " (built-in: top_categories, top_brands, segments, viewed, bought, updated_at; "
                             "traits are attributes on profiles, docs/profiles.md#traits)");
  }
  std::map<std::string, size_t> index;  // segment id -> position
  for (size_t i = 0; i < c.segments.size(); ++i) index.emplace(c.segments[i].id, i);
  // A segments_source record's references are located in the source ("segments.csv:3: field
  // 'condition': in[0]"), the rest at their config path.
  const SegmentConfig* owner = nullptr;
  auto report = [&](const IdRef& ref, const std::string& msg) {
    if (owner && owner->from_source) r.errors().add(ref.where + ": " + msg);
    else r.error(ref.where, msg);
  };
  auto known = [&](const IdRef& ref) {
    auto it = index.find(ref.id);
    if (it == index.end()) {
      report(ref, "unknown segment " + quote_value(ref.id) + (c.segments.empty() ? " (no segments are defined)" : ""));
      return index.end();
    }
    return it;
  };
  for (const RuleConfig& rule : c.rules)
    for (const IdRef& ref : rule.condition_segments) known(ref);
  for (const SlotConfig& slot : c.slots)
    for (const IdRef& ref : slot.condition_segments) known(ref);
  for (const ExperimentConfig& e : c.experiments)
    for (const IdRef& ref : e.condition_segments) known(ref);
  for (const PolicyConfig& pol : c.policies)
    for (const IdRef& ref : pol.condition_segments) known(ref);
  for (size_t i = 0; i < c.segments.size(); ++i) {
    owner = &c.segments[i];
    for (const IdRef& ref : c.segments[i].condition_segments) {
      auto it = known(ref);
      if (it == index.end()) continue;
      const SegmentConfig& target = c.segments[it->second];
      if (it->second == i)
        report(ref, "a segment condition cannot read the segment's own membership");
      else if (it->second > i && !target.condition.empty())
        report(ref, "segment " + quote_value(ref.id) + " is decided by its condition after this one (" +
                        target.where + "): a segment condition sees only listed segments and conditional "
                        "segments defined before it");
    }
  }
}

}  // namespace tailor::sync
