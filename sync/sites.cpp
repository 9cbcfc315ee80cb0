#include "sites.h"

#include <algorithm>
#include <map>

#include "source.h"

namespace tailor::sync {
namespace {

// true/false (JSON booleans, or text true/false/1/0/yes/no); kMissing when absent.
Field read_flag(const Record& r, std::string_view key, bool& out, ErrorList& errors) {
  const Value* v = r.find(key);
  if (!v || v->kind == Value::Kind::kMissing || (v->kind == Value::Kind::kText && v->text.empty())) return Field::kMissing;
  if (v->kind == Value::Kind::kBool) {
    out = v->integer != 0 || v->number != 0;
    return Field::kOk;
  }
  if (v->kind == Value::Kind::kNumber && v->integral && (v->integer == 0 || v->integer == 1)) {
    out = v->integer == 1;
    return Field::kOk;
  }
  if (v->kind == Value::Kind::kText) {
    const std::string& t = v->text;
    if (t == "true" || t == "1" || t == "yes") { out = true; return Field::kOk; }
    if (t == "false" || t == "0" || t == "no") { out = false; return Field::kOk; }
  }
  std::string got = v->kind == Value::Kind::kText ? quote_value(v->text) : value_kind_name(*v);
  field_error(r, key, got + " is not a boolean (true/false, 1/0, yes/no)", errors);
  return Field::kError;
}

}  // namespace

void load_site_overrides(const Config& config, const Catalog& catalog, Resolved& out, ErrorList& errors,
                         const ProgressFn& progress) {
  if (!config.site_overrides) return;
  std::map<std::string, int32_t> sites;
  for (size_t i = 0; i < config.sites.size(); ++i) sites.emplace(config.sites[i].id, static_cast<int32_t>(i));
  // Per site: item -> title ("" when only hidden), and the hidden items.
  std::vector<std::map<uint32_t, std::string>> titles(config.sites.size());
  std::vector<std::vector<uint32_t>> hidden(config.sites.size());
  std::map<std::pair<int32_t, uint32_t>, std::string> first;  // (site, item) -> where, for duplicates
  std::string item_id, site_id, title;
  read_records(*config.site_overrides, errors, [&](const Record& r) {
    item_id.clear();
    site_id.clear();
    title.clear();
    Field fi = read_text(r, "item", item_id, errors);
    if (fi == Field::kMissing) field_error(r, "item", "is required", errors);
    Field fs = read_text(r, "site", site_id, errors);
    if (fs == Field::kMissing) field_error(r, "site", "is required", errors);
    Field ft = read_text(r, "title", title, errors);
    bool hide = false;
    Field fh = read_flag(r, "hidden", hide, errors);
    if (fi != Field::kOk || fs != Field::kOk || ft == Field::kError || fh == Field::kError) return !errors.full();
    int32_t item = catalog.find_item(item_id);
    if (item < 0) field_error(r, "item", "unknown item " + quote_value(item_id), errors);
    auto site = sites.find(site_id);
    if (site == sites.end()) field_error(r, "site", "unknown site " + quote_value(site_id), errors);
    if (item < 0 || site == sites.end()) return !errors.full();
    if (ft == Field::kMissing && !hide) {
      field_error(r, "title", "an override sets a title or hidden: true", errors);
      return !errors.full();
    }
    auto [it, inserted] = first.emplace(std::make_pair(site->second, static_cast<uint32_t>(item)), r.where().str());
    if (!inserted) {
      field_error(r, "item", "item " + quote_value(item_id) + " already has an override on site " + quote_value(site_id) +
                                 " (at " + it->second + ")",
                  errors);
      return !errors.full();
    }
    if (ft == Field::kOk) titles[site->second].emplace(static_cast<uint32_t>(item), title);
    if (hide) hidden[site->second].push_back(static_cast<uint32_t>(item));
    return !errors.full();
  }, progress, "site overrides");
  if (!errors.empty()) return;

  for (size_t s = 0; s < titles.size(); ++s) {
    if (titles[s].empty()) continue;
    ResolvedSiteItems si;
    si.site = static_cast<int32_t>(s);
    for (auto& [item, t] : titles[s]) {  // map order: sorted by item index
      si.items.push_back(item);
      si.titles.push_back(std::move(t));
    }
    out.site_items.push_back(std::move(si));
  }
  // Hidden on a site = denied on that site: merged into the site's deny list (one per site).
  for (size_t s = 0; s < hidden.size(); ++s) {
    if (hidden[s].empty()) continue;
    auto list = std::find_if(out.deny_lists.begin(), out.deny_lists.end(),
                             [&](const ResolvedDeny& d) { return d.site == static_cast<int32_t>(s); });
    if (list == out.deny_lists.end()) list = out.deny_lists.insert(out.deny_lists.end(), ResolvedDeny{static_cast<int32_t>(s), {}});
    list->items.insert(list->items.end(), hidden[s].begin(), hidden[s].end());
    std::sort(list->items.begin(), list->items.end());
    list->items.erase(std::unique(list->items.begin(), list->items.end()), list->items.end());
  }
  std::stable_sort(out.deny_lists.begin(), out.deny_lists.end(),
                   [](const ResolvedDeny& a, const ResolvedDeny& b) { return a.site < b.site; });
}

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::SiteItemOverrides>>> write_site_items(
    flatbuffers::FlatBufferBuilder& fbb, const std::vector<ResolvedSiteItems>& sites) {
  if (sites.empty()) return 0;
  std::vector<flatbuffers::Offset<fb::SiteItemOverrides>> out;
  for (const ResolvedSiteItems& s : sites) {
    auto items = fbb.CreateVector(s.items);
    auto titles = fbb.CreateVectorOfStrings(s.titles);
    out.push_back(fb::CreateSiteItemOverrides(fbb, s.site, items, titles));
  }
  return fbb.CreateVector(out);
}

}  // namespace tailor::sync
