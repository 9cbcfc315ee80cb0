#include "plugin_config.h"

#include <cmath>

namespace tailor::sync {
namespace {

using nlohmann::json;

constexpr size_t kMaxKeyBytes = 64;

std::vector<ParamValue> values_of(const PluginUseConfig& use) {
  std::vector<ParamValue> out;
  for (const PluginParamConfig& p : use.params) out.push_back(ParamValue{p.key, p.is_text, p.number, p.text});
  return out;
}

// "params.x: why" from the core is appended to the use's path; anything else follows a colon.
void report(ConfigReader& r, const std::string& where, const std::string& msg) {
  if (msg.rfind("params", 0) == 0) {
    size_t colon = msg.find(": ");
    if (colon != std::string::npos) return r.error(where + "." + msg.substr(0, colon), msg.substr(colon + 2));
  }
  r.error(where, msg);
}

void report(ErrorList& errors, const Config& c, const std::string& where, const std::string& msg) {
  if (msg.rfind("params", 0) == 0 && msg.find(": ") != std::string::npos) {
    errors.add(c.file + ": " + where + "." + msg);
    return;
  }
  errors.add(c.file + ": " + where + ": " + msg);
}

// The plugin name at `path`.plugin, checked against the registry and the kind the place takes.
bool read_plugin(ConfigReader& r, const json& j, const std::string& path, PluginKind kind, PluginUseConfig& use) {
  auto name = r.id(j, "plugin", path, true);
  if (!name) return false;
  const Plugin* p = find_plugin(*name);
  if (!p) {
    r.error(at(path, "plugin"), "unknown plugin " + quote_value(*name) + " (this tailor has: " + plugin_names() +
                                    "; plugins are compiled in, see docs/plugins.md)");
    return false;
  }
  if (p->kind != kind) {
    r.error(at(path, "plugin"), "plugin " + quote_value(*name) + " is a " + plugin_kind_name(p->kind) + "; this place takes a " +
                                    plugin_kind_name(kind));
    return false;
  }
  use.plugin = *name;
  use.where = path;
  if (const json* params = r.member(j, "params", path, false)) {
    std::string pp = at(path, "params");
    if (!params->is_object()) {
      r.error(pp, std::string("expected an object {name: number or string}, got ") + params->type_name());
      return false;
    }
    for (auto it = params->begin(); it != params->end(); ++it) {  // nlohmann objects iterate sorted by key
      PluginParamConfig v;
      v.key = it.key();
      if (v.key.empty() || v.key.size() > kMaxKeyBytes) {
        r.error(pp, "parameter names are 1 to " + std::to_string(kMaxKeyBytes) + " bytes");
        return false;
      }
      if (it->is_string()) {
        v.is_text = true;
        v.text = it->get<std::string>();
      } else if (it->is_number() && std::isfinite(it->get<double>())) {
        v.number = it->get<double>();
      } else {
        r.error(at(pp, v.key), std::string("expected a number or a string, got ") + it->type_name());
        return false;
      }
      use.params.push_back(std::move(v));
    }
  }
  std::vector<ParamValue> values = values_of(use);
  if (Status st = check_plugin_params(*p, PluginParams(values)); !st.ok()) {
    report(r, path, st.message());
    return false;
  }
  return true;
}

}  // namespace

std::optional<PluginUseConfig> parse_plugin_term(ConfigReader& r, const json& term, const std::string& path) {
  PluginUseConfig use;
  if (!read_plugin(r, term, path, PluginKind::kScorer, use)) return std::nullopt;
  return use;
}

void parse_plugin_uses(ConfigReader& r, const json& slot, const char* key, const std::string& path, PluginKind kind,
                       std::vector<PluginUseConfig>& out) {
  const json* v = r.member(slot, key, path, false);
  if (!v) return;
  std::string p = at(path, key);
  if (!v->is_array()) return r.error(p, std::string("expected an array of {plugin, params}, got ") + v->type_name());
  if (v->size() > kMaxPluginUses)
    return r.error(p, std::to_string(v->size()) + " plugins, at most " + std::to_string(kMaxPluginUses) + " per slot");
  for (size_t i = 0; i < v->size(); ++i) {
    std::string up = at(p, i);
    const json& u = (*v)[i];
    if (!r.object(u, up, {"plugin", "name", "params"})) continue;
    PluginUseConfig use;
    auto name = r.text(u, "name", up);
    if (name && name->empty()) r.error(at(up, "name"), "must not be empty");
    if (!read_plugin(r, u, up, kind, use)) continue;
    use.name = name.value_or("");
    out.push_back(std::move(use));
  }
}

void check_plugin_uses(const Config& c, const Snapshot& snap, ErrorList& errors) {
  auto check = [&](const PluginUseConfig& use) {
    const Plugin* p = find_plugin(use.plugin);
    if (!p || !p->check) return;
    std::vector<ParamValue> values = values_of(use);
    if (Status st = p->check(snap, PluginParams(values)); !st.ok()) report(errors, c, use.where, st.message());
  };
  for (const StrategyConfig& s : c.strategies)
    for (const TermConfig& t : s.terms)
      if (t.plugin) check(*t.plugin);
  for (const SlotConfig& s : c.slots) {
    for (const PluginUseConfig& u : s.filters) check(u);
    for (const PluginUseConfig& u : s.stages) check(u);
  }
}

flatbuffers::Offset<fb::PluginRef> write_plugin_ref(flatbuffers::FlatBufferBuilder& fbb, const PluginUseConfig& use) {
  std::vector<flatbuffers::Offset<fb::PluginParam>> params;
  for (const PluginParamConfig& p : use.params) {
    auto key = fbb.CreateString(p.key);
    auto text = p.is_text ? fbb.CreateString(p.text) : 0;
    fb::PluginParamBuilder b(fbb);
    b.add_key(key);
    if (p.is_text) b.add_text(text);
    else b.add_number(p.number);
    params.push_back(b.Finish());
  }
  auto plugin = fbb.CreateString(use.plugin);
  auto name = use.name.empty() ? 0 : fbb.CreateString(use.name);
  auto params_v = params.empty() ? 0 : fbb.CreateVector(params);
  fb::PluginRefBuilder b(fbb);
  b.add_plugin(plugin);
  if (!use.name.empty()) b.add_name(name);
  if (!params.empty()) b.add_params(params_v);
  return b.Finish();
}

bool uses_plugins(const Config& c) {
  for (const StrategyConfig& s : c.strategies)
    for (const TermConfig& t : s.terms)
      if (t.plugin) return true;
  for (const SlotConfig& s : c.slots)
    if (!s.filters.empty() || !s.stages.empty()) return true;
  return false;
}

}  // namespace tailor::sync
