#include "tailor/plugin.h"

#include <cmath>

namespace tailor {
namespace {

// Test override of the registry; a constant-initialised pair, so no static initializer runs.
const Plugin* const* g_override = nullptr;
size_t g_override_size = 0;

constexpr size_t kMaxTextParam = 256;
constexpr size_t kMaxParams = 32;

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// "1.5" rather than "1.500000": parameters are written by people.
std::string number_text(double v) {
  std::string s = std::to_string(v);
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

template <class V>
uint32_t len(const V* v) { return v ? v->size() : 0; }

}  // namespace

const char* plugin_kind_name(PluginKind kind) {
  switch (kind) {
    case PluginKind::kScorer: return "scorer";
    case PluginKind::kFilter: return "filter";
    case PluginKind::kStage: return "stage";
  }
  return "unknown";
}

const ParamValue* PluginParams::find(std::string_view key) const {
  for (const ParamValue& v : values_)
    if (v.key == key) return &v;
  return nullptr;
}

double PluginParams::number(std::string_view key, double fallback) const {
  const ParamValue* v = find(key);
  return v && !v->is_text ? v->number : fallback;
}

std::string_view PluginParams::text(std::string_view key, std::string_view fallback) const {
  const ParamValue* v = find(key);
  return v && v->is_text ? v->text : fallback;
}

NumberColumn PluginContext::number_attribute(std::string_view name) const {
  int32_t a = snap.find_attribute(name);
  if (a < 0) return {};
  const fb::Attribute* at = snap.items().attributes()->Get(static_cast<uint32_t>(a));
  if (at->type() != fb::AttributeType::Number || !at->numbers()) return {};
  return NumberColumn{at->numbers()->data(), at->min(), at->max()};
}

const float* PluginContext::price() const {
  const auto* p = snap.items().price();
  return p && p->size() ? p->data() : nullptr;
}

std::span<const Plugin* const> plugin_registry() {
  if (g_override) return {g_override, g_override_size};
  return builtin_plugins();
}

void set_plugin_registry_for_testing(std::span<const Plugin* const> plugins) {
  g_override = plugins.empty() ? nullptr : plugins.data();
  g_override_size = plugins.size();
}

const Plugin* find_plugin(std::string_view name) {
  for (const Plugin* p : plugin_registry())
    if (name == p->name) return p;
  return nullptr;
}

std::string plugin_names() {
  std::string s;
  for (const Plugin* p : plugin_registry()) s += (s.empty() ? "" : ", ") + std::string(p->name);
  return s.empty() ? "none" : s;
}

Status check_plugin_params(const Plugin& plugin, const PluginParams& params) {
  auto bad = [&](std::string_view key, const std::string& why) {
    return Status(Code::kInvalidArgument, "params." + std::string(key) + ": " + why);
  };
  if (params.all().size() > kMaxParams)
    return Status(Code::kInvalidArgument, "params: " + std::to_string(params.all().size()) + " parameters, at most " +
                                              std::to_string(kMaxParams));
  for (const ParamValue& v : params.all()) {
    const ParamSpec* spec = nullptr;
    for (const ParamSpec& s : plugin.params)
      if (v.key == s.name) spec = &s;
    if (!spec) {
      std::string known;
      for (const ParamSpec& s : plugin.params) known += (known.empty() ? "" : ", ") + std::string(s.name);
      return bad(v.key, "unknown parameter of plugin " + quoted(plugin.name) + " (expected one of: " +
                            (known.empty() ? "none" : known) + ")");
    }
    if (spec->type == ParamType::kNumber) {
      if (v.is_text) return bad(v.key, "expected a number, got the string " + quoted(v.text));
      if (!std::isfinite(v.number) || v.number < spec->min || v.number > spec->max)
        return bad(v.key, number_text(v.number) + " is out of range [" + number_text(spec->min) + ", " +
                              number_text(spec->max) + "]");
    } else {
      if (!v.is_text) return bad(v.key, "expected a string, got " + number_text(v.number));
      if (v.text.empty() || v.text.size() > kMaxTextParam)
        return bad(v.key, "must be 1 to " + std::to_string(kMaxTextParam) + " bytes");
    }
  }
  for (const ParamSpec& s : plugin.params)
    if (s.required && !params.find(s.name))
      return bad(s.name, std::string("is required by plugin ") + quoted(plugin.name) + " (" + s.help + ")");
  return Status::Ok();
}

PluginParams plugin_params(const fb::PluginRef& ref, Arena& arena) {
  const auto* ps = ref.params();
  if (!ps || ps->size() == 0) return {};
  auto out = arena.alloc<ParamValue>(ps->size());
  for (uint32_t i = 0; i < ps->size(); ++i) {
    const fb::PluginParam* p = ps->Get(i);
    ParamValue v;
    v.key = sv(p->key());
    v.is_text = p->text() != nullptr;
    v.number = p->number();
    v.text = sv(p->text());
    out[i] = v;
  }
  return PluginParams(out);
}

std::string_view plugin_label(const fb::PluginRef& ref) {
  return ref.name() && ref.name()->size() ? sv(ref.name()) : sv(ref.plugin());
}

namespace {

Status check_use(const Snapshot& snap, const fb::PluginRef* ref, PluginKind kind, const std::string& where,
                 bool with_hooks, Arena& arena) {
  if (!ref) return Status(Code::kSnapshotInvalid, "snapshot invalid: " + where + " names no plugin");
  std::string_view name = sv(ref->plugin());
  const Plugin* p = find_plugin(name);
  if (!p)
    return Status(Code::kSnapshotIncompatible,
                  "snapshot needs plugin " + quoted(name) + " (" + where + "), which this engine was not built with " +
                      "(plugins: " + plugin_names() + "); rebuild it with the plugin in TAILOR_PLUGINS");
  if (p->kind != kind)
    return Status(Code::kSnapshotInvalid, "snapshot invalid: " + where + ": plugin " + quoted(name) + " is a " +
                                              plugin_kind_name(p->kind) + ", not a " + plugin_kind_name(kind));
  const auto* ps = ref->params();
  for (uint32_t i = 1; i < len(ps); ++i)
    if (!(sv(ps->Get(i - 1)->key()) < sv(ps->Get(i)->key())))
      return Status(Code::kSnapshotInvalid, "snapshot invalid: " + where + ": params not sorted by key");
  PluginParams params = plugin_params(*ref, arena);
  Status st = check_plugin_params(*p, params);
  if (st.ok() && with_hooks && p->check) st = p->check(snap, params);
  if (!st.ok())
    return Status(Code::kSnapshotInvalid, "snapshot invalid: " + where + ": plugin " + quoted(name) + ": " + st.message());
  return Status::Ok();
}

}  // namespace

Status check_snapshot_plugins(const Snapshot& snap, bool with_hooks) {
  const fb::Snapshot& root = snap.root();
  Arena arena(4096);
  if (const auto* strategies = root.strategies())
    for (auto* s : *strategies) {
      if (!s->terms()) continue;
      for (uint32_t t = 0; t < s->terms()->size(); ++t) {
        const fb::Term* term = s->terms()->Get(t);
        if (term->kind() != fb::TermKind::Plugin) continue;
        std::string where = "strategy " + quoted(sv(s->id())) + " term " + std::to_string(t + 1);
        if (Status st = check_use(snap, term->plugin(), PluginKind::kScorer, where, with_hooks, arena); !st.ok())
          return st;
      }
    }
  if (const auto* slots = root.slots())
    for (auto* sl : *slots) {
      for (uint32_t f = 0; f < len(sl->filters()); ++f) {
        std::string where = "slot " + quoted(sv(sl->id())) + " filter " + std::to_string(f + 1);
        if (Status st = check_use(snap, sl->filters()->Get(f), PluginKind::kFilter, where, with_hooks, arena); !st.ok())
          return st;
      }
      for (uint32_t g = 0; g < len(sl->stages()); ++g) {
        std::string where = "slot " + quoted(sv(sl->id())) + " stage " + std::to_string(g + 1);
        if (Status st = check_use(snap, sl->stages()->Get(g), PluginKind::kStage, where, with_hooks, arena); !st.ok())
          return st;
      }
    }
  return Status::Ok();
}

}  // namespace tailor
