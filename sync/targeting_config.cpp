#include "targeting_config.h"

#include <map>

namespace tailor::sync {

void parse_segments(ConfigReader& r, const nlohmann::json& root, Config& c) {
  const nlohmann::json* v = r.member(root, "segments", "", false);
  if (!v) return;
  if (!v->is_array()) return r.error("segments", std::string("expected an array, got ") + v->type_name());
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < v->size(); ++i) {
    std::string p = at("segments", i);
    const nlohmann::json& s = (*v)[i];
    if (!r.object(s, p, {"id", "name"})) continue;
    SegmentConfig sc;
    auto id = r.id(s, "id", p);
    if (id) r.unique(seen, *id, at(p, "id"));
    sc.name = r.text(s, "name", p).value_or("");
    if (!id) continue;
    sc.id = *id;
    sc.where = p;
    c.segments.push_back(std::move(sc));
  }
}

}  // namespace tailor::sync
