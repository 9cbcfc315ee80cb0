#include "explain_render.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "json_parse.h"
#include "timestamp.h"

namespace tailor::sync {
namespace {

using oj = nlohmann::ordered_json;

bool one_of(std::string_view k, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), k) != names.end();
}

// A scalar as text (strings unquoted), anything else as compact JSON.
std::string text(const oj& v) {
  if (v.is_string()) return v.get_ref<const std::string&>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_null()) return "-";
  return dump_json(v);
}

// A signed number as the decision wrote it ("+0.25", "-1").
std::string signed_number(const oj& v) {
  std::string s = text(v);
  return v.is_number() && !s.empty() && s[0] != '-' && s != "0" ? "+" + s : s;
}

// "key=value, key=value" for an object; items of an array joined by ", ".
std::string compact(const oj& v) {
  if (v.is_object()) {
    std::string s;
    for (auto it = v.begin(); it != v.end(); ++it) s += (s.empty() ? "" : ", ") + it.key() + "=" + text(it.value());
    return s;
  }
  if (v.is_array()) {
    std::string s;
    for (const oj& x : v) s += (s.empty() ? "" : ", ") + (x.is_object() ? "{" + compact(x) + "}" : text(x));
    return s;
  }
  return text(v);
}

std::string shorten(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return s.substr(0, cut) + "...";
}

// Display width: UTF-8 code points (good enough for ids, titles and numbers).
size_t width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A text table with a header row; columns padded to their widest cell, two spaces apart.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void write(std::string& out, const std::string& indent) const {
    std::vector<size_t> w(rows_[0].size(), 0);
    for (const auto& r : rows_)
      for (size_t c = 0; c < r.size(); ++c) w[c] = std::max(w[c], width(r[c]));
    for (const auto& r : rows_) {
      std::string line = indent;
      for (size_t c = 0; c < r.size(); ++c) {
        line += r[c];
        if (c + 1 < r.size()) line.append(w[c] - width(r[c]) + 2, ' ');
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

void field(std::string& out, const std::string& label, const std::string& value) {
  std::string l = "  " + label;
  l.append(l.size() < 16 ? 16 - l.size() : 1, ' ');
  out += l + value + "\n";
}

// An experiment assignment, whatever its exact keys: "id: arm (k=v, ...)".
std::string experiment_line(const oj& e) {
  if (!e.is_object()) return text(e);
  std::string id, arm, rest;
  for (auto it = e.begin(); it != e.end(); ++it) {
    const std::string& k = it.key();
    if (id.empty() && one_of(k, {"id", "key", "experiment"})) id = text(it.value());
    else if (arm.empty() && one_of(k, {"arm", "variation", "variant", "variation_id", "value"}))
      arm = k + " " + text(it.value());
    else rest += (rest.empty() ? "" : ", ") + k + "=" + text(it.value());
  }
  std::string s = id.empty() ? "?" : id;
  if (!arm.empty()) s += ": " + arm;
  if (!rest.empty()) s += " (" + rest + ")";
  return s;
}

// An exposure record: "experiment: variation, propensity p (allocation, how; slots a, b)".
std::string exposure_line(const oj& e) {
  if (!e.is_object()) return text(e);
  std::string s = text(e.value("experiment", oj("?")));
  if (e.contains("variation")) s += ": " + text(e["variation"]);
  if (e.contains("propensity")) s += ", propensity " + text(e["propensity"]);
  std::string how;
  for (const char* k : {"allocation", "how"})
    if (e.contains(k)) how += (how.empty() ? "" : ", ") + text(e[k]);
  if (e.contains("slots") && e["slots"].is_array() && !e["slots"].empty()) {
    std::string slots;
    for (const oj& x : e["slots"]) slots += (slots.empty() ? "" : ", ") + text(x);
    how += (how.empty() ? "slots " : "; slots ") + slots;
  }
  for (auto it = e.begin(); it != e.end(); ++it)
    if (!one_of(it.key(), {"experiment", "variation", "index", "propensity", "allocation", "how", "slots"}))
      how += (how.empty() ? "" : ", ") + it.key() + "=" + text(it.value());
  if (!how.empty()) s += " (" + how + ")";
  return s;
}

void render_slot(std::string& out, const oj& slot) {
  const oj& items = slot.contains("items") && slot["items"].is_array() ? slot["items"] : oj::array();
  out += "\nSlot " + text(slot.value("id", oj("?")));
  if (slot.contains("strategy")) out += " (strategy " + text(slot["strategy"]) + ")";
  if (slot.contains("skipped")) {  // the slot's targeting condition was false: nothing else to show
    out += ": skipped (" + text(slot["skipped"]) + " false for this request)\n";
    return;
  }
  out += ": " + std::to_string(items.size()) + " item" + (items.size() == 1 ? "" : "s");
  if (slot.contains("candidates")) out += " of " + text(slot["candidates"]) + " candidates";
  out += "\n";

  if (slot.contains("filtered") && slot["filtered"].is_object()) {
    std::string s;
    for (auto it = slot["filtered"].begin(); it != slot["filtered"].end(); ++it)
      s += (s.empty() ? "" : ", ") + it.key() + " " + text(it.value());
    field(out, "filtered", s.empty() ? "none" : s);
  }
  if (slot.contains("policies") && slot["policies"].is_array()) {
    if (slot["policies"].empty()) field(out, "policies", "none in effect");
    for (const oj& p : slot["policies"]) {
      if (!p.is_object()) { field(out, "policy", text(p)); continue; }
      std::string s = text(p.value("id", oj("?")));
      if (p.contains("kind")) s += " (" + text(p["kind"]) + ")";
      s += ": removed " + text(p.value("removed", oj(0)));
      for (auto it = p.begin(); it != p.end(); ++it)
        if (!one_of(it.key(), {"id", "kind", "removed"})) s += ", " + it.key() + " " + text(it.value());
      field(out, "policy", s);
    }
  }
  if (slot.contains("terms_off") && slot["terms_off"].is_array() && !slot["terms_off"].empty())
    field(out, "terms off", compact(slot["terms_off"]));
  for (auto it = slot.begin(); it != slot.end(); ++it)
    if (!one_of(it.key(), {"id", "strategy", "items", "candidates", "filtered", "terms_off", "policies"}))
      field(out, it.key(), compact(it.value()));
  if (items.empty()) return;

  // Columns: the fixed ones, one per term name (first seen order), then optional ones present.
  std::vector<std::string> terms;
  bool has_title = false, has_price = false, has_source = false, has_tier = false, has_approval = false;
  for (const oj& it : items) {
    if (!it.is_object()) continue;
    has_title = has_title || it.contains("title");
    has_price = has_price || it.contains("price");
    has_source = has_source || it.contains("price_source");
    has_tier = has_tier || it.contains("tier");
    has_approval = has_approval || it.contains("needs_approval");
    if (it.contains("explain") && it["explain"].contains("terms") && it["explain"]["terms"].is_array())
      for (const oj& t : it["explain"]["terms"]) {
        std::string name = t.is_object() ? text(t.value("name", oj("?"))) : text(t);
        if (std::find(terms.begin(), terms.end(), name) == terms.end()) terms.push_back(name);
      }
  }
  std::vector<std::string> header = {"rank", "id"};
  if (has_title) header.push_back("title");
  header.push_back("score");
  for (const std::string& t : terms) header.push_back(t);
  header.push_back("rules");
  if (has_price) header.push_back("price");
  if (has_source) header.push_back("source");
  if (has_tier) header.push_back("tier");
  if (has_approval) header.push_back("approval");
  header.push_back("notes");
  Table table(header);

  for (const oj& it : items) {
    if (!it.is_object()) continue;
    std::vector<std::string> row = {text(it.value("rank", oj("-"))), text(it.value("id", oj("?")))};
    if (has_title) row.push_back(shorten(text(it.value("title", oj(""))), 32));
    row.push_back(text(it.value("score", oj("-"))));
    const oj explain = it.value("explain", oj::object());
    for (const std::string& name : terms) {
      std::string cell = "-";
      if (explain.contains("terms") && explain["terms"].is_array())
        for (const oj& t : explain["terms"])
          if (t.is_object() && text(t.value("name", oj("?"))) == name)
            cell = t.contains("contribution") ? signed_number(t["contribution"]) : compact(t);
      row.push_back(cell);
    }
    std::string rules;
    if (explain.contains("rules") && explain["rules"].is_array())
      for (const oj& r : explain["rules"]) {
        std::string s = r.is_object() ? text(r.value("id", oj("?"))) : text(r);
        if (r.is_object() && r.contains("amount")) s += " " + signed_number(r["amount"]);
        if (r.is_object() && r.contains("position")) s += " @" + text(r["position"]);
        rules += (rules.empty() ? "" : ", ") + s;
      }
    row.push_back(rules.empty() ? "-" : rules);
    if (has_price) row.push_back(text(it.value("price", oj(nullptr))));
    if (has_source) row.push_back(text(it.value("price_source", oj(nullptr))));
    if (has_tier) row.push_back(it.contains("tier") ? compact(it["tier"]) : "-");
    if (has_approval) {
      const oj a = it.value("needs_approval", oj(nullptr));
      row.push_back(a.is_object() || a.is_array() ? "yes (" + compact(a) + ")" : text(a));
    }
    std::string notes;
    auto note = [&](const std::string& s) { notes += (notes.empty() ? "" : "; ") + s; };
    if (it.contains("pinned")) note("pinned by " + text(it["pinned"]));
    for (auto e = explain.begin(); e != explain.end(); ++e) {
      if (one_of(e.key(), {"terms", "rules"})) continue;
      if (e.key() == "profile_off_by") note("profile terms off (" + text(e.value()) + ")");
      else if (e.key() == "stages" && e.value().is_array())  // stage plugins' notes (docs/plugins.md)
        for (const oj& n : e.value()) note(text(n.value("name", oj("stage"))) + ": " + text(n.value("note", oj(""))));
      else note(e.key() + "=" + compact(e.value()));
    }
    for (auto k = it.begin(); k != it.end(); ++k)
      if (!one_of(k.key(), {"id", "rank", "score", "title", "category", "brand", "price", "pinned", "explain",
                            "price_source", "tier", "needs_approval"}))
        note(k.key() + "=" + compact(k.value()));
    row.push_back(notes.empty() ? "" : notes);
    table.add(std::move(row));
  }
  out += "\n";
  table.write(out, "  ");
}

}  // namespace

std::string render_decision(const oj& d) {
  std::string out = "Decision";
  if (d.contains("tenant")) out += " for tenant " + text(d["tenant"]);
  out += "\n";
  if (d.contains("snapshot") && d["snapshot"].is_object()) {
    const oj& s = d["snapshot"];
    std::string v = text(s.value("version", oj("?")));
    if (s.contains("hash")) v += " (sha256 " + text(s["hash"]).substr(0, 12) + ")";
    if (s.contains("built_at") && s["built_at"].is_number_integer()) v += ", built " + format_rfc3339(s["built_at"].get<int64_t>());
    for (auto it = s.begin(); it != s.end(); ++it)
      if (!one_of(it.key(), {"version", "hash", "built_at"})) v += ", " + it.key() + " " + text(it.value());
    field(out, "snapshot", v);
  }
  if (d.contains("now")) field(out, "now", d["now"].is_number_integer() ? format_rfc3339(d["now"].get<int64_t>()) : text(d["now"]));
  if (d.contains("site")) field(out, "site", text(d["site"]));
  if (d.contains("personalized")) field(out, "personalized", text(d["personalized"]));
  if (d.contains("segments")) field(out, "segments", d["segments"].empty() ? "none" : compact(d["segments"]));
  if (d.contains("experiments")) {
    const oj& e = d["experiments"];
    if (e.is_array() && e.empty()) field(out, "experiments", "none");
    else if (e.is_array())
      for (const oj& x : e) field(out, "experiment", experiment_line(x));
    else if (e.is_object())
      for (auto it = e.begin(); it != e.end(); ++it) {  // {experiment id: assignment}
        oj x = it.value().is_object() ? it.value() : oj{{"arm", it.value()}};
        if (!x.contains("id")) x["id"] = it.key();
        field(out, "experiment", experiment_line(x));
      }
    else field(out, "experiments", compact(e));
  }
  if (d.contains("exposures")) {  // docs/experiments.md: one record per experiment the visitor is in
    const oj& x = d["exposures"];
    if (x.is_array() && x.empty()) field(out, "exposures", "none");
    else if (x.is_array())
      for (const oj& e : x) field(out, "exposure", exposure_line(e));
    else field(out, "exposures", compact(x));
  }
  if (d.contains("condition_errors") && d["condition_errors"].is_array())
    for (const oj& e : d["condition_errors"]) {  // conditions that could not be evaluated (counted as false)
      if (!e.is_object()) { field(out, "condition error", text(e)); continue; }
      field(out, "condition error", text(e.value("of", oj("?"))) + " " + text(e.value("id", oj("?"))) +
                                        " treated as false: " + text(e.value("error", oj(""))));
    }
  for (auto it = d.begin(); it != d.end(); ++it)
    if (!one_of(it.key(), {"tenant", "snapshot", "now", "site", "personalized", "segments", "experiments", "exposures",
                           "slots", "condition_errors"}))
      field(out, it.key(), compact(it.value()));
  if (d.contains("slots") && d["slots"].is_array())
    for (const oj& slot : d["slots"])
      if (slot.is_object()) render_slot(out, slot);
  return out;
}

}  // namespace tailor::sync
