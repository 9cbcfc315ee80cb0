#include "signing_config.h"

#include "config_reader.h"
#include "file_io.h"
#include "json_parse.h"

namespace tailor::sync {

void parse_signing(ConfigReader& r, const nlohmann::json& root, SigningConfig& out) {
  out = SigningConfig();
  const nlohmann::json* s = r.member(root, "signing", "", false);
  if (!s || !r.object(*s, "signing", {"required", "approvers"})) return;
  auto required = r.integer(*s, "required", "signing", 1, static_cast<int64_t>(kMaxApprovers), true);
  const nlohmann::json* list = r.member(*s, "approvers", "signing", true);
  if (!list) return;
  if (!list->is_array() || list->empty() || list->size() > kMaxApprovers) {
    r.error("signing.approvers", "expected an array of 1 to " + std::to_string(kMaxApprovers) + " approvers");
    return;
  }
  std::map<std::string, std::string> names, keys;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string p = at("signing.approvers", i);
    const nlohmann::json& a = (*list)[i];
    if (!r.object(a, p, {"name", "key", "key_file"})) continue;
    auto name = r.id(a, "name", p);
    auto key = r.text(a, "key", p);
    auto file = r.text(a, "key_file", p);
    if (name) r.unique(names, *name, at(p, "name"));
    if (key.has_value() == file.has_value()) {
      r.error(p, "set exactly one of key (64 hex characters) and key_file (a .pub from tailor keygen)");
      continue;
    }
    std::string text = key.value_or(""), why;
    std::string where = at(p, key ? "key" : "key_file");
    if (file) {
      std::filesystem::path f = *file;
      if (f.is_relative()) f = r.base() / f;
      Status st = read_text_file(f, 1 << 16, text);
      if (!st.ok()) {
        r.error(where, st.message());
        continue;
      }
    }
    Approver ap;
    if (!parse_public_key(text, ap.key.pk, why)) {
      r.error(where, why.rfind("not a public key", 0) == 0 ? why : "not a public key: " + why);
      continue;
    }
    ap.key.key_id = key_id(ap.key.pk);
    r.unique(keys, ap.key.key_id, where);
    if (!name) continue;
    ap.name = *name;
    out.approvers.push_back(std::move(ap));
  }
  if (required && static_cast<size_t>(*required) > list->size())
    r.error("signing.required", std::to_string(*required) + " signatures required but only " +
                                    std::to_string(list->size()) + " approver" + (list->size() == 1 ? "" : "s") +
                                    " listed");
  else if (required)
    out.required = static_cast<uint32_t>(*required);
}

bool read_signing_config(const std::filesystem::path& path, SigningConfig& out, ErrorList& errors) {
  std::string text, why;
  Status st = read_text_file(path, 64 << 20, text);
  if (!st.ok()) {
    if (st.code() == Code::kIoError) errors.add_io(st.message());
    else errors.add(st.message());
    return false;
  }
  nlohmann::json root;
  const std::string name = path.string();
  if (!parse_json(text, root, why)) {
    errors.add(name + ": invalid JSON at " + why);
    return false;
  }
  std::filesystem::path base = path.parent_path();
  ConfigReader r(name, base.empty() ? "." : base, errors);
  const size_t before = errors.messages().size();
  if (!root.is_object() || !root.contains("signing")) {
    errors.add(name + ": signing: not set (the tenant's signing policy: {\"required\": K, \"approvers\": [...]})");
    return false;
  }
  parse_signing(r, root, out);
  if (root.contains("tenant") && root["tenant"].is_object() && root["tenant"].contains("id") &&
      root["tenant"]["id"].is_string())
    out.tenant = root["tenant"]["id"].get<std::string>();
  return errors.messages().size() == before && out.required > 0;
}

bool read_public_key_files(std::string_view list, std::vector<Approver>& out, std::string& why, bool& io) {
  io = false;
  while (true) {
    const size_t comma = list.find(',');
    const std::string path(list.substr(0, comma));
    if (path.empty()) {
      why = "--pub has an empty file name";
      return false;
    }
    if (out.size() >= kMaxApprovers) {
      why = "--pub: at most " + std::to_string(kMaxApprovers) + " keys";
      return false;
    }
    std::string text;
    Status st = read_text_file(path, 1 << 16, text);
    if (!st.ok()) {
      io = st.code() == Code::kIoError;
      why = st.message();
      return false;
    }
    Approver a;
    if (!parse_public_key(text, a.key.pk, why)) {
      why = path + ": " + why;
      return false;
    }
    a.key.key_id = key_id(a.key.pk);
    a.name = std::filesystem::path(path).stem().string();
    bool dup = false;
    for (const Approver& k : out) dup = dup || k.key.key_id == a.key.key_id;
    if (!dup) out.push_back(std::move(a));
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

std::string approver_name(const SigningConfig& c, const std::string& key_id) {
  for (const Approver& a : c.approvers)
    if (a.key.key_id == key_id) return a.name;
  return "";
}

}  // namespace tailor::sync
