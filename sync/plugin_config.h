// Plugin uses in tailor.json (docs/plugins.md): parsed and checked against the registry compiled
// into this `tailor` (the same one tailor.wasm gets from TAILOR_PLUGINS), written to the snapshot.
#pragma once
#include <string>
#include <vector>

#include <flatbuffers/flatbuffers.h>
#include <nlohmann/json.hpp>

#include "config.h"
#include "config_reader.h"
#include "tailor/plugin.h"
#include "tailor/snapshot.h"

namespace tailor::sync {

// Caps per slot.
constexpr size_t kMaxPluginUses = 8;

// Reads the plugin of a `{"kind": "plugin", "plugin": ..., "params": ...}` term at `path`.
std::optional<PluginUseConfig> parse_plugin_term(ConfigReader& r, const nlohmann::json& term, const std::string& path);
// Reads slot.<key> (`filters` or `stages`): an array of {"plugin", "name"?, "params"?}.
void parse_plugin_uses(ConfigReader& r, const nlohmann::json& slot, const char* key, const std::string& path,
                       PluginKind kind, std::vector<PluginUseConfig>& out);

// Runs each used plugin's own check against the built snapshot, reporting at the use's config path.
void check_plugin_uses(const Config& c, const Snapshot& snap, ErrorList& errors);

// The snapshot table of one use.
flatbuffers::Offset<fb::PluginRef> write_plugin_ref(flatbuffers::FlatBufferBuilder& fbb, const PluginUseConfig& use);
// True when the config uses any plugin.
bool uses_plugins(const Config& c);

}  // namespace tailor::sync
