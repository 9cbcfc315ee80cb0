#include "diversity_config.h"

namespace tailor::sync {

std::optional<DiversityConfig> parse_diversity(ConfigReader& r, const nlohmann::json& s, const std::string& p,
                                               const Config& c) {
  const nlohmann::json* j = r.member(s, "diversity", p, false);
  if (!j) return std::nullopt;
  const std::string dp = at(p, "diversity");
  if (!r.object(*j, dp, {"max_per_brand", "max_per_category", "max_per_attribute", "over_cap", "mmr"})) return std::nullopt;
  DiversityConfig d;
  bool ok = true;
  auto cap = [&](std::string_view key, uint16_t& out) {
    if (!j->contains(key) || (*j)[std::string(key)].is_null()) return;
    if (auto v = r.integer(*j, key, dp, 1, kMaxDiversityCap)) out = static_cast<uint16_t>(*v);
    else ok = false;
  };
  cap("max_per_brand", d.max_per_brand);
  cap("max_per_category", d.max_per_category);
  if (const nlohmann::json* a = r.member(*j, "max_per_attribute", dp, false)) {
    const std::string ap = at(dp, "max_per_attribute");
    if (r.object(*a, ap, {"attribute", "max"})) {
      auto name = r.id(*a, "attribute", ap, true);
      auto max = r.integer(*a, "max", ap, 1, kMaxDiversityCap, true);
      int32_t index = -1;
      if (name) {
        for (size_t k = 0; k < c.attributes.size(); ++k)
          if (c.attributes[k].name == *name) index = static_cast<int32_t>(k);
        if (index < 0) {
          r.error(at(ap, "attribute"), "unknown attribute " + quote_value(*name) + " (caps need a categorical attribute on items)");
        } else if (c.attributes[index].type != AttrType::kCategorical) {
          r.error(at(ap, "attribute"), "attribute " + quote_value(*name) + " is not categorical (caps count items per value)");
          index = -1;
        }
      }
      if (index >= 0 && max) {
        d.cap_attribute = index;
        d.max_per_attribute = static_cast<uint16_t>(*max);
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (auto mode = r.text(*j, "over_cap", dp)) {
    if (*mode == "drop") d.drop_over_cap = true;
    else if (*mode != "demote") {
      r.error(at(dp, "over_cap"), "unknown mode " + quote_value(*mode) + " (expected one of: demote, drop)");
      ok = false;
    }
    if (!d.max_per_brand && !d.max_per_category && d.cap_attribute < 0 && ok) {
      r.error(at(dp, "over_cap"), "over_cap needs max_per_brand, max_per_category or max_per_attribute");
      ok = false;
    }
  }
  if (const nlohmann::json* m = r.member(*j, "mmr", dp, false)) {
    const std::string mp = at(dp, "mmr");
    if (r.object(*m, mp, {"lambda", "window"})) {
      auto lambda = r.number(*m, "lambda", mp, true);
      auto window = r.integer(*m, "window", mp, 2, kMaxMmrWindow, true);
      if (lambda && !(*lambda >= 0.0 && *lambda <= 1.0)) {
        r.error(at(mp, "lambda"), (*m)["lambda"].dump() +
                                      " is outside [0, 1] (1 = score only, 0 = dissimilarity only)");
        lambda.reset();
      }
      if (c.embedding.dim == 0) {
        r.error(mp, "MMR needs item embeddings: set embedding.dim and give items an embedding column");
        ok = false;
      }
      if (lambda && window) {
        d.mmr_lambda = static_cast<float>(*lambda);
        d.mmr_window = static_cast<uint16_t>(*window);
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (ok && !d.max_per_brand && !d.max_per_category && d.cap_attribute < 0 && !d.mmr_window) {
    r.error(dp, "diversity needs at least one of max_per_brand, max_per_category, max_per_attribute, mmr");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return d;
}

flatbuffers::Offset<fb::Diversity> write_diversity(flatbuffers::FlatBufferBuilder& fbb,
                                                   const std::optional<DiversityConfig>& d) {
  if (!d) return 0;
  fb::DiversityBuilder b(fbb);
  b.add_max_per_brand(d->max_per_brand);
  b.add_max_per_category(d->max_per_category);
  b.add_drop_over_cap(d->drop_over_cap);
  b.add_mmr_window(d->mmr_window);
  b.add_mmr_lambda(d->mmr_lambda);
  b.add_cap_attribute(d->cap_attribute);
  b.add_max_per_attribute(d->max_per_attribute);
  return b.Finish();
}

}  // namespace tailor::sync
