// margin (scorer) and min_margin (filter): the list price's margin over a tenant-declared number
// attribute holding the unit cost, (price - cost) / price, clamped to [0, 1]. README.md.
#include <cmath>

#include "tailor/plugin.h"

namespace tailor::plugins {
namespace {

constexpr float kUnknown = -1.0f;  // no cost, no price or a price <= 0

struct MarginColumns {
  const float* price = nullptr;
  const float* cost = nullptr;
};

MarginColumns columns(const PluginContext& cx) {
  return {cx.price(), cx.number_attribute(cx.params.text("cost_attribute", "cost")).values};
}

// (price - cost) / price in [0, 1], or kUnknown. Float32 operations only: identical everywhere.
inline float margin_of(const MarginColumns& m, uint32_t item) {
  if (!m.price || !m.cost) return kUnknown;
  const float price = m.price[item], cost = m.cost[item];
  if (!(price > 0.0f) || cost != cost) return kUnknown;
  const float r = (price - cost) / price;
  return r < 0.0f ? 0.0f : r > 1.0f ? 1.0f : r;
}

Status check_cost(const Snapshot& snap, const PluginParams& params) {
  std::string_view name = params.text("cost_attribute", "cost");
  int32_t a = snap.find_attribute(name);
  if (a < 0)
    return Status(Code::kInvalidArgument, "params.cost_attribute: no attribute '" + std::string(name) +
                                              "' (declare it in attributes with type number)");
  if (snap.items().attributes()->Get(static_cast<uint32_t>(a))->type() != fb::AttributeType::Number)
    return Status(Code::kInvalidArgument, "params.cost_attribute: attribute '" + std::string(name) + "' is not a number attribute");
  return Status::Ok();
}

Status check_filter(const Snapshot& snap, const PluginParams& params) {
  if (Status st = check_cost(snap, params); !st.ok()) return st;
  std::string_view unknown = params.text("unknown", "keep");
  if (unknown != "keep" && unknown != "remove")
    return Status(Code::kInvalidArgument, "params.unknown: '" + std::string(unknown) + "' is not one of: keep, remove");
  return Status::Ok();
}

void score(const PluginContext& cx, std::span<const uint32_t> cand, std::span<float> out) {
  const MarginColumns m = columns(cx);
  const float missing = static_cast<float>(cx.params.number("missing", 0.0));
  for (size_t c = 0; c < cand.size(); ++c) {
    const float v = margin_of(m, cand[c]);
    out[c] = v == kUnknown ? missing : v;
  }
}

void filter(const PluginContext& cx, std::span<const uint32_t> cand, std::span<uint8_t> keep) {
  const MarginColumns m = columns(cx);
  const float min = static_cast<float>(cx.params.number("min", 0.0));
  const bool keep_unknown = cx.params.text("unknown", "keep") == "keep";
  for (size_t c = 0; c < cand.size(); ++c) {
    const float v = margin_of(m, cand[c]);
    keep[c] = v == kUnknown ? keep_unknown : v >= min;
  }
}

constexpr ParamSpec kScoreParams[] = {
    {"cost_attribute", ParamType::kText, false, 0, 0, "number attribute with the unit cost (default \"cost\")"},
    {"missing", ParamType::kNumber, false, 0, 1, "value for items without a cost or a price (default 0)"},
};

constexpr ParamSpec kFilterParams[] = {
    {"min", ParamType::kNumber, true, 0, 1, "lowest margin kept, e.g. 0.2 for 20 %"},
    {"cost_attribute", ParamType::kText, false, 0, 0, "number attribute with the unit cost (default \"cost\")"},
    {"unknown", ParamType::kText, false, 0, 0, "\"keep\" (default) or \"remove\" items without a cost or a price"},
};

}  // namespace

extern const Plugin margin = {
    "margin", PluginKind::kScorer, "margin of the list price over a cost attribute: (price - cost) / price in [0, 1]",
    kScoreParams, check_cost, score, nullptr, nullptr,
};

extern const Plugin min_margin = {
    "min_margin", PluginKind::kFilter, "removes items whose margin (price - cost) / price is below `min`",
    kFilterParams, check_filter, nullptr, filter, nullptr,
};

}  // namespace tailor::plugins
