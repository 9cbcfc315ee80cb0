// Plugins: scorers, filters and stages written in C++ and compiled into the engine (docs/plugins.md).
//
// A plugin is one constant `Plugin` object. The build lists plugin folders in TAILOR_PLUGINS;
// each folder's CMakeLists calls tailor_add_plugin(), and CMake generates the registry (no static
// initializers, which wasm linkers drop). The snapshot names the plugins it uses (Term.plugin,
// Slot.filters, Slot.stages) with typed parameters; `tailor build` and Snapshot::open check every
// use against the registry of the binary doing the work.
//
// The contract is structural: plugins only ever see the eligible candidates (after site scope,
// entitlements, compliance policies, stock, deny lists and exclude rules), and can only return a
// value per candidate (scorers), a keep flag per candidate (filters) or an order over the unpinned
// ranked items they were given (stages). Nothing a plugin returns can add an item, so no plugin
// can resurrect a hard-filtered item or move a pin. Plugin code runs in the wasm engine: no
// exceptions, no RTTI, no iostream, no allocation per candidate (use the arena).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "tailor/arena.h"
#include "tailor/request.h"
#include "tailor/snapshot.h"
#include "tailor/status.h"

namespace tailor {

enum class PluginKind : uint8_t { kScorer = 0, kFilter = 1, kStage = 2 };
// "scorer", "filter", "stage".
const char* plugin_kind_name(PluginKind kind);

enum class ParamType : uint8_t { kNumber = 0, kText = 1 };

// One declared parameter. Numbers must lie in [min, max]; texts are at most 256 bytes.
struct ParamSpec {
  const char* name;
  ParamType type;
  bool required;
  double min;
  double max;
  const char* help;  // one line, shown by `tailor plugins`
};

// One parameter value, as stored in the snapshot or as written in the config at build time.
struct ParamValue {
  std::string_view key;
  bool is_text = false;
  double number = 0;
  std::string_view text;
};

// The parameters of one plugin use (sorted by key). Lookups are linear: uses have a few params.
class PluginParams {
 public:
  PluginParams() = default;
  explicit PluginParams(std::span<const ParamValue> values) : values_(values) {}
  // The value named `key`, or null.
  const ParamValue* find(std::string_view key) const;
  // A number parameter, or `fallback` when absent.
  double number(std::string_view key, double fallback) const;
  // A text parameter, or `fallback` when absent.
  std::string_view text(std::string_view key, std::string_view fallback) const;
  std::span<const ParamValue> all() const { return values_; }

 private:
  std::span<const ParamValue> values_;
};

// A number attribute column read in place: values[item] (NaN when the item has none).
struct NumberColumn {
  const float* values = nullptr;
  float min = 0, max = 0;
  explicit operator bool() const { return values != nullptr; }
};

// What a plugin sees for one use in one slot of one request.
struct PluginContext {
  const Snapshot& snap;  // every column: items().ids/category/brand/price/attributes, embeddings
  const Request& req;    // request facts: site, country/region, age, segments, account, consent...
  Arena& arena;          // per-request scratch, reset between requests
  PluginParams params;   // this use's parameters
  int32_t site = -1;     // snapshot site index, -1 without a site
  int64_t now = 0;       // decision time, unix seconds
  int32_t slot = -1;     // snapshot slot index
  bool personalized = false;  // the request has personalization consent and a profile

  // The number attribute named `name` (built-in or custom), or an empty column.
  NumberColumn number_attribute(std::string_view name) const;
  // List prices (Items.price), or null when the snapshot has none.
  const float* price() const;
};

// One plugin. Exactly the function of its kind is set; the others are null.
struct Plugin {
  const char* name;     // registry name: [a-z][a-z0-9_]{0,63}, unique in a build
  PluginKind kind;
  const char* summary;  // one line
  std::span<const ParamSpec> params;
  // Optional checks that need the snapshot (e.g. a named attribute exists and holds numbers), run
  // by `tailor build` (reported at the use's config path) and at load. Null: nothing to check.
  Status (*check)(const Snapshot& snap, const PluginParams& params);
  // Scorer: out[c] = the value for cand[c], before the term's weight. It must depend only on the
  // item, the request and the parameters (explanations recompute it for one item). Non-finite
  // values count as 0.
  void (*score)(const PluginContext& cx, std::span<const uint32_t> cand, std::span<float> out);
  // Filter: keep[c] arrives 1; set it to 0 to remove cand[c] (counted as "plugin:<name>").
  void (*filter)(const PluginContext& cx, std::span<const uint32_t> cand, std::span<uint8_t> keep);
  // Stage: `items` are the ranked unpinned items, best first, with their scores. Writes the new
  // order into `order` as positions into `items`, each at most once, and returns how many it
  // wrote (fewer drops the rest, counted as "plugin:<name>"). notes[i] (empty on entry) may be set
  // to a short text for items[i], shown in its explanation; it must point to static or arena
  // memory. An invalid order fails the request with kInternal.
  uint32_t (*stage)(const PluginContext& cx, std::span<const uint32_t> items, std::span<const float> scores,
                    std::span<uint32_t> order, std::span<std::string_view> notes);
};

// The plugins compiled into this binary, in TAILOR_PLUGINS order: defined by the registry CMake
// generates (gen/tailor_plugins.cpp in the build directory).
std::span<const Plugin* const> builtin_plugins();
// The registry in use: builtin_plugins(), or the test override.
std::span<const Plugin* const> plugin_registry();
// The registered plugin named `name`, or null.
const Plugin* find_plugin(std::string_view name);
// Comma-separated registry names, "none" when empty (for messages).
std::string plugin_names();

// Checks `params` against `plugin`'s declared specs: unknown keys, types, ranges, required ones.
// The message starts with "params.<key>: " when one parameter is at fault.
Status check_plugin_params(const Plugin& plugin, const PluginParams& params);
// The parameters of a snapshot PluginRef as values (allocated in `arena`).
PluginParams plugin_params(const fb::PluginRef& ref, Arena& arena);
// Label of a use in explanations and filtered counts: its name, else the plugin's.
std::string_view plugin_label(const fb::PluginRef& ref);

// Every plugin use of the snapshot (strategy terms, slot filters and stages) checked against the
// registry: kSnapshotIncompatible when a plugin is not compiled in, kSnapshotInvalid for a plugin
// of the wrong kind, bad parameters or a failed plugin check. `with_hooks` false skips the
// plugins' own `check` functions (the builder runs those itself, per config path).
Status check_snapshot_plugins(const Snapshot& snap, bool with_hooks = true);

// Tests only: replaces the registry until reset with an empty span (plugin_registry() then
// returns the built-in one again). Not thread-safe.
void set_plugin_registry_for_testing(std::span<const Plugin* const> plugins);

}  // namespace tailor
