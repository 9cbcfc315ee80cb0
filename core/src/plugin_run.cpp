#include "plugin_run.h"

#include <new>
#include <string>

namespace tailor {
namespace {

template <class V>
uint32_t len(const V* v) { return v ? v->size() : 0; }

inline float finite_or_zero(float v) { return v - v == 0.0f ? v : 0.0f; }  // NaN and ±inf give NaN

constexpr size_t kMaxNoteBytes = 200;

}  // namespace

const PluginContext* plugin_context(const PluginContext& base, const fb::PluginRef& ref) {
  void* mem = base.arena.alloc<uint8_t>(sizeof(PluginContext) + alignof(PluginContext)).data();
  auto addr = reinterpret_cast<uintptr_t>(mem);
  addr = (addr + alignof(PluginContext) - 1) & ~(uintptr_t(alignof(PluginContext)) - 1);
  static_assert(std::is_trivially_destructible_v<PluginContext>);
  return new (reinterpret_cast<void*>(addr)) PluginContext{base.snap,  base.req,  base.arena, plugin_params(ref, base.arena),
                                                           base.site,  base.now,  base.slot,  base.personalized};
}

void plugin_accumulate(const PluginContext& cx, const Plugin& p, float weight, std::span<const uint32_t> cand,
                       std::span<float> score) {
  if (!p.score || cand.empty()) return;
  auto values = cx.arena.alloc<float>(cand.size());
  for (float& v : values) v = 0.0f;
  p.score(cx, cand, values);
  for (size_t c = 0; c < cand.size(); ++c) score[c] += weight * finite_or_zero(values[c]);
}

float plugin_value(const PluginContext& cx, const Plugin& p, uint32_t item) {
  if (!p.score) return 0.0f;
  float v = 0.0f;
  p.score(cx, {&item, 1}, {&v, 1});
  return finite_or_zero(v);
}

void run_plugin_filters(const PluginContext& base, const fb::Slot& slot, std::span<uint32_t>& cand,
                        PluginSlotState& state) {
  const uint32_t nf = len(slot.filters()), ns = len(slot.stages());
  state.removed = base.arena.zeroed<uint32_t>(nf + ns);
  for (uint32_t f = 0; f < nf && !cand.empty(); ++f) {
    const fb::PluginRef& ref = *slot.filters()->Get(f);
    const Plugin* p = find_plugin(sv(ref.plugin()));
    if (!p || !p->filter) continue;  // Snapshot::open checked every use; a test may swap the registry
    auto keep = base.arena.alloc<uint8_t>(cand.size());
    for (uint8_t& k : keep) k = 1;
    p->filter(*plugin_context(base, ref), cand, keep);
    // The filter only returns flags: survivors are a subset of `cand`, in their order.
    size_t n = 0;
    for (size_t c = 0; c < cand.size(); ++c)
      if (keep[c]) cand[n++] = cand[c];
    state.removed[f] += static_cast<uint32_t>(cand.size() - n);
    cand = cand.first(n);
  }
}

Status run_plugin_stages(const PluginContext& base, const fb::Slot& slot, std::span<uint32_t>& ranked,
                         std::span<float>& scores, std::span<int32_t>& pinned_by,
                         std::span<DiversityNote>& diversity, PluginSlotState& state) {
  const uint32_t nf = len(slot.filters()), ns = len(slot.stages());
  if (ns == 0) return Status::Ok();
  state.notes = base.arena.alloc<StageNote>(size_t(ns) * ranked.size());
  for (uint32_t g = 0; g < ns; ++g) {
    const fb::PluginRef& ref = *slot.stages()->Get(g);
    const Plugin* p = find_plugin(sv(ref.plugin()));
    if (!p || !p->stage) continue;
    const size_t n = ranked.size();
    size_t m = 0;
    for (size_t i = 0; i < n; ++i) m += pinned_by[i] < 0;
    auto items = base.arena.alloc<uint32_t>(m);
    auto sc = base.arena.alloc<float>(m);
    auto notes = base.arena.alloc<std::string_view>(m);
    auto order = base.arena.alloc<uint32_t>(m);
    const bool notes_on = !diversity.empty();
    auto dn = base.arena.alloc<DiversityNote>(notes_on ? m : 0);
    for (size_t i = 0, j = 0; i < n; ++i)
      if (pinned_by[i] < 0) {
        items[j] = ranked[i];
        sc[j] = scores[i];
        if (notes_on) dn[j] = diversity[i];
        notes[j] = {};
        order[j] = static_cast<uint32_t>(j);
        ++j;
      }
    const uint32_t wrote = p->stage(*plugin_context(base, ref), items, sc, order, notes);
    // The stage returns positions into what it was given: check they form a partial permutation.
    auto seen = base.arena.zeroed<uint8_t>(m);
    bool valid = wrote <= m;
    for (uint32_t j = 0; valid && j < wrote; ++j) {
      valid = order[j] < m && !seen[order[j]];
      if (valid) seen[order[j]] = 1;
    }
    if (!valid)
      return Status(Code::kInternal, "stage plugin '" + std::string(sv(ref.plugin())) + "' (slot '" +
                                         std::string(sv(slot.id())) + "') returned an invalid order");
    for (size_t j = 0; j < m; ++j)
      if (!notes[j].empty() && seen[j]) {
        std::string_view t = notes[j];
        if (t.size() > kMaxNoteBytes) {  // cut at a UTF-8 character boundary
          size_t cut = kMaxNoteBytes;
          while (cut > 0 && (static_cast<uint8_t>(t[cut]) & 0xC0) == 0x80) --cut;
          t = t.substr(0, cut);
        }
        state.notes[state.note_count++] = StageNote{items[j], g, t};
      }
    state.removed[nf + g] += static_cast<uint32_t>(m - wrote);
    // Pins keep their places; the unpinned places take the stage's order.
    size_t out = 0, next = 0;
    for (size_t i = 0; i < n; ++i) {
      if (pinned_by[i] >= 0) {
        ranked[out] = ranked[i];
        scores[out] = scores[i];
        pinned_by[out] = pinned_by[i];
        if (notes_on) diversity[out] = diversity[i];
        ++out;
      } else if (next < wrote) {
        ranked[out] = items[order[next]];
        scores[out] = sc[order[next]];
        pinned_by[out] = -1;
        if (notes_on) diversity[out] = dn[order[next]];
        ++next;
        ++out;
      }
    }
    ranked = ranked.first(out);
    scores = scores.first(out);
    pinned_by = pinned_by.first(out);
    if (notes_on) diversity = diversity.first(out);
  }
  return Status::Ok();
}

void write_plugin_filtered(JsonWriter& w, const fb::Slot& slot, const PluginSlotState& state) {
  const uint32_t nf = len(slot.filters());
  for (size_t i = 0; i < state.removed.size(); ++i) {
    if (!state.removed[i]) continue;
    const fb::PluginRef& ref = i < nf ? *slot.filters()->Get(static_cast<uint32_t>(i))
                                      : *slot.stages()->Get(static_cast<uint32_t>(i - nf));
    w.key("plugin:" + std::string(plugin_label(ref)));
    w.integer(state.removed[i]);
  }
}

void write_stage_notes(JsonWriter& w, const fb::Slot& slot, const PluginSlotState& state, uint32_t item) {
  bool any = false;
  for (size_t i = 0; i < state.note_count; ++i) {
    const StageNote& n = state.notes[i];
    if (n.item != item) continue;
    if (!any) {
      w.key("stages");
      w.begin_array();
      any = true;
    }
    w.begin_object();
    w.key("name"); w.string(plugin_label(*slot.stages()->Get(n.stage)));
    w.key("note"); w.string(n.text);
    w.end_object();
  }
  if (any) w.end_array();
}

}  // namespace tailor
