// The pipeline's plugin hooks (core/src/pipeline.cpp): filter and stage plugins of a slot, scorer
// plugin columns, and what they add to the decision JSON.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "tailor/diversity.h"
#include "tailor/json_writer.h"
#include "tailor/plugin.h"

namespace tailor {

// A stage's note on one output item.
struct StageNote {
  uint32_t item;
  uint32_t stage;  // index into Slot.stages
  std::string_view text;
};

// Per slot: items removed per filter then per stage, and the stages' notes.
struct PluginSlotState {
  std::span<uint32_t> removed;  // Slot.filters.size() + Slot.stages.size()
  std::span<StageNote> notes;
  size_t note_count = 0;
};

// A context for one use of a plugin (`base` with `ref`'s parameters), allocated in the arena.
const PluginContext* plugin_context(const PluginContext& base, const fb::PluginRef& ref);

// A scorer's values for one candidate column: score[c] += weight * value(cand[c]).
void plugin_accumulate(const PluginContext& cx, const Plugin& p, float weight, std::span<const uint32_t> cand,
                       std::span<float> score);
// A scorer's value for one item (explanations, per-candidate paths); non-finite values are 0.
float plugin_value(const PluginContext& cx, const Plugin& p, uint32_t item);

// Runs the slot's filter plugins over the eligible candidates, compacting `cand` in place.
void run_plugin_filters(const PluginContext& base, const fb::Slot& slot, std::span<uint32_t>& cand,
                        PluginSlotState& state);
// Runs the slot's stage plugins over the ranked list: pinned entries keep their places, the
// unpinned ones are reordered (or dropped) as each stage says. The spans are parallel columns;
// `diversity` (the items' diversity notes) is empty when the slot has no diversity stage.
Status run_plugin_stages(const PluginContext& base, const fb::Slot& slot, std::span<uint32_t>& ranked,
                         std::span<float>& scores, std::span<int32_t>& pinned_by,
                         std::span<DiversityNote>& diversity, PluginSlotState& state);

// "plugin:<label>": count entries of the slot's `filtered` object.
void write_plugin_filtered(JsonWriter& w, const fb::Slot& slot, const PluginSlotState& state);
// The item's stage notes as "stages": [{"name", "note"}] (nothing when it has none).
void write_stage_notes(JsonWriter& w, const fb::Slot& slot, const PluginSlotState& state, uint32_t item);

}  // namespace tailor
