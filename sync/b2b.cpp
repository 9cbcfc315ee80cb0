#include "b2b.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <unordered_map>

#include "attributes.h"
#include "source.h"
#include "tailor/b2b.h"
#include "taxonomy.h"
#include "timestamp.h"

namespace tailor::sync {
namespace {

// Reads a `|`-separated (or JSON array) list of ids and resolves each with `find`; unknown ids
// are reported against the record's field.
template <class T, class Find>
std::vector<T> read_refs(const Record& r, const char* key, const char* what, Find find, ErrorList& errors) {
  std::vector<std::string> ids;
  std::vector<T> out;
  if (read_list(r, key, ids, errors) != Field::kOk) return out;
  for (const std::string& id : ids) {
    int32_t i = find(id);
    if (i < 0) field_error(r, key, std::string("unknown ") + what + " " + quote_value(id), errors);
    else out.push_back(static_cast<T>(i));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string window(int64_t from, int64_t to) {
  return (from ? format_rfc3339(from) : std::string("always")) + " .. " + (to ? format_rfc3339(to) : std::string("open"));
}

class Loader {
 public:
  Loader(const Config& c, const Catalog& cat, const std::vector<std::string>& segments, B2BData& out, ErrorList& errors,
         const ProgressFn& progress)
      : c_(c), cat_(cat), segments_(segments), out_(out), errors_(errors), progress_(progress) {}

  void run() {
    roles();
    if (c_.b2b.accounts) accounts(*c_.b2b.accounts);
    if (!errors_.empty()) return;
    for (size_t l = 0; l < c_.b2b.price_lists.size() && !errors_.full(); ++l) price_list(c_.b2b.price_lists[l]);
    if (!errors_.empty()) return;
    overlaps();
    for (size_t l = 0; l < out_.price_lists.size(); ++l)
      if (out_.price_lists[l].account >= 0) out_.accounts[out_.price_lists[l].account].price_lists.push_back(int32_t(l));
  }

 private:
  void error(const std::string& where, const std::string& msg) { errors_.add(c_.file + ": " + where + ": " + msg); }
  int32_t role(const std::string& id) const {
    auto it = role_index_.find(id);
    return it == role_index_.end() ? -1 : it->second;
  }

  void roles() {
    for (size_t i = 0; i < c_.b2b.roles.size(); ++i) role_index_.emplace(c_.b2b.roles[i].id, int32_t(i));
    for (const RoleConfig& rc : c_.b2b.roles) {
      B2BRole r{rc.id, rc.spending_limit, -1};
      if (rc.approver) {
        r.approver = role(rc.approver->id);
        if (r.approver < 0) error(rc.approver->where, "unknown role " + quote_value(rc.approver->id));
      }
      out_.roles.push_back(std::move(r));
    }
  }

  void accounts(const SourceSpec& src) {
    std::vector<B2BAccount> rows;
    std::vector<std::string> parents, where;
    std::unordered_map<std::string, int32_t> index;
    auto find_item = [&](const std::string& id) { return cat_.find_item(id); };
    auto find_category = [&](const std::string& id) { return cat_.find_category(id); };
    AttributeReader attributes(c_.account_attributes, out_.account_attributes);
    read_records(src, errors_, [&](const Record& r) {
      B2BAccount a;
      if (!read_record_id(r, a.id, errors_)) return !errors_.full();
      if (rows.size() >= kMaxAccounts) {
        errors_.add(r.where().str() + ": more than " + std::to_string(kMaxAccounts) + " accounts");
        return false;
      }
      auto [it, inserted] = index.emplace(a.id, int32_t(rows.size()));
      if (!inserted) {
        field_error(r, "id", "duplicate account " + quote_value(a.id) + " (first at " + where[it->second] + ")", errors_);
        return !errors_.full();
      }
      std::string parent, text;
      read_text(r, "name", a.name, errors_);
      read_text(r, "parent", parent, errors_);
      if (read_text(r, "currency", a.currency, errors_) == Field::kOk &&
          (a.currency.size() != 3 || !std::all_of(a.currency.begin(), a.currency.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })))
        field_error(r, "currency", quote_value(a.currency) + " is not an ISO 4217 currency code", errors_);
      double limit = 0;
      if (read_number(r, "spending_limit", limit, errors_) == Field::kOk) {
        if (limit < 0) field_error(r, "spending_limit", "must be >= 0", errors_);
        else a.spending_limit = static_cast<float>(limit);
      }
      if (read_text(r, "approver", text, errors_) == Field::kOk) {
        a.approver = role(text);
        if (a.approver < 0) field_error(r, "approver", "unknown role " + quote_value(text), errors_);
      }
      a.allow_items = read_refs<uint32_t>(r, "allow_items", "item", find_item, errors_);
      a.deny_items = read_refs<uint32_t>(r, "deny_items", "item", find_item, errors_);
      a.allow_categories = read_refs<int32_t>(r, "allow_categories", "category", find_category, errors_);
      a.deny_categories = read_refs<int32_t>(r, "deny_categories", "category", find_category, errors_);
      attributes.add(r, errors_);
      rows.push_back(std::move(a));
      parents.push_back(parent);
      where.push_back(r.where().str());
      return !errors_.full();
    }, progress_, "accounts");
    for (size_t i = 0; i < rows.size(); ++i) {
      if (parents[i].empty()) continue;
      auto it = index.find(parents[i]);
      if (it == index.end()) errors_.add(where[i] + ": field 'parent': unknown account " + quote_value(parents[i]));
      else rows[i].parent = it->second;
    }
    if (!errors_.empty()) return;
    // Cycles (reported once, by name) and depth.
    std::vector<uint8_t> state(rows.size(), 0);  // 0 new, 1 on the current walk, 2 done
    std::vector<uint32_t> depth(rows.size(), 0);
    for (size_t s = 0; s < rows.size() && !errors_.full(); ++s) {
      std::vector<int32_t> walk;
      int32_t a = int32_t(s);
      while (a >= 0 && state[a] == 0) {
        state[a] = 1;
        walk.push_back(a);
        a = rows[a].parent;
      }
      if (a >= 0 && state[a] == 1) {
        std::string path;
        size_t from = std::find(walk.begin(), walk.end(), a) - walk.begin();
        for (size_t k = from; k < walk.size(); ++k) path += rows[walk[k]].id + " -> ";
        errors_.add(where[a] + ": field 'parent': account hierarchy has a cycle: " + path + rows[a].id);
        for (int32_t w : walk) state[w] = 2;
        continue;
      }
      uint32_t d = a >= 0 ? depth[a] : 0;
      for (size_t k = walk.size(); k-- > 0;) {
        depth[walk[k]] = ++d;
        state[walk[k]] = 2;
        if (d == kMaxAccountDepth + 1)
          errors_.add(where[walk[k]] + ": account " + quote_value(rows[walk[k]].id) + " is more than " +
                      std::to_string(kMaxAccountDepth) + " levels deep (the engine's limit)");
      }
    }
    if (!errors_.empty()) return;
    // Sorted by id (bytewise, as the engine's binary search compares), parents remapped.
    std::vector<int32_t> order(rows.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int32_t x, int32_t y) { return rows[x].id < rows[y].id; });
    std::vector<int32_t> pos(rows.size());
    for (size_t k = 0; k < order.size(); ++k) pos[order[k]] = int32_t(k);
    attributes.finish();
    permute_rows(out_.account_attributes, order);
    for (int32_t o : order) {
      B2BAccount a = std::move(rows[o]);
      if (a.parent >= 0) a.parent = pos[a.parent];
      account_index_.emplace(a.id, int32_t(out_.accounts.size()));
      out_.accounts.push_back(std::move(a));
    }
  }

  void price_list(const PriceListConfig& pc) {
    B2BPriceList pl;
    pl.id = pc.id;
    pl.currency = pc.currency;
    pl.valid_from = pc.valid_from;
    pl.valid_to = pc.valid_to;
    if (pc.account) {
      auto it = account_index_.find(pc.account->id);
      if (it == account_index_.end())
        error(pc.account->where, "unknown account " + quote_value(pc.account->id) +
                                     (c_.b2b.accounts ? "" : " (the config has no accounts source)"));
      else pl.account = it->second;
    }
    if (pc.site) {
      for (size_t s = 0; s < c_.sites.size(); ++s)
        if (c_.sites[s].id == pc.site->id) pl.site = int32_t(s);
      if (pl.site < 0) error(pc.site->where, "unknown site " + quote_value(pc.site->id));
    }
    if (pc.segment) {
      for (size_t s = 0; s < segments_.size(); ++s)
        if (segments_[s] == pc.segment->id) pl.segment = int32_t(s);
      if (pl.segment < 0) error(pc.segment->where, "unknown segment " + quote_value(pc.segment->id));
    }
    struct Entry { uint32_t item, min_quantity; float price; std::string where; };
    std::vector<Entry> entries;
    price_rows_ += read_records(pc.prices, errors_, [&](const Record& r) {
      std::string item;
      double price = 0;
      int64_t q = 1;
      Field fi = read_text(r, "item", item, errors_);
      if (fi == Field::kMissing) field_error(r, "item", "is required", errors_);
      Field fp = read_number(r, "price", price, errors_);
      if (fp == Field::kMissing) field_error(r, "price", "is required", errors_);
      Field fq = read_integer(r, "min_quantity", q, errors_);
      if (fi != Field::kOk || fp != Field::kOk || fq == Field::kError) return !errors_.full();
      int32_t i = cat_.find_item(item);
      bool ok = true;
      if (i < 0) { field_error(r, "item", "unknown item " + quote_value(item) + " (price list " + quote_value(pc.id) + ")", errors_); ok = false; }
      if (price < 0) { field_error(r, "price", "negative price " + number_text(price), errors_); ok = false; }
      if (price > 3.0e38) { field_error(r, "price", "out of range", errors_); ok = false; }
      if (q < 1 || q > int64_t(kMaxQuantity)) {
        field_error(r, "min_quantity", "must be from 1 to " + std::to_string(kMaxQuantity), errors_);
        ok = false;
      }
      if (ok) entries.push_back({uint32_t(i), uint32_t(q), static_cast<float>(price), r.where().str()});
      return !errors_.full();
    }, progress_, "price lists", price_rows_);
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.item != b.item ? a.item < b.item : a.min_quantity < b.min_quantity;
    });
    for (size_t e = 0; e < entries.size(); ++e) {
      if (e && entries[e - 1].item == entries[e].item && entries[e - 1].min_quantity == entries[e].min_quantity) {
        errors_.add(entries[e].where + ": overlapping price tier: item " + quote_value(cat_.ids[entries[e].item]) +
                    " min_quantity " + std::to_string(entries[e].min_quantity) + " is already priced in list " +
                    quote_value(pc.id) + " at " + entries[e - 1].where);
        continue;
      }
      pl.items.push_back(entries[e].item);
      pl.min_quantity.push_back(entries[e].min_quantity);
      pl.prices.push_back(entries[e].price);
    }
    out_.price_lists.push_back(std::move(pl));
  }

  // Two lists with the same scope and currency whose validity windows overlap may not price the
  // same item: which one applies would depend on list order.
  void overlaps() {
    const auto& lists = out_.price_lists;
    std::map<std::tuple<int32_t, int32_t, int32_t, std::string>, std::vector<size_t>> groups;
    for (size_t l = 0; l < lists.size(); ++l)
      groups[{lists[l].account, lists[l].segment, lists[l].site, lists[l].currency.empty() ? c_.b2b.currency : lists[l].currency}]
          .push_back(l);
    for (const auto& [key, members] : groups)
      for (size_t x = 0; x < members.size(); ++x)
        for (size_t y = x + 1; y < members.size() && !errors_.full(); ++y) {
          const B2BPriceList& a = lists[members[x]];
          const B2BPriceList& b = lists[members[y]];
          int64_t from = std::max(a.valid_from, b.valid_from);
          int64_t to_a = a.valid_to ? a.valid_to : INT64_MAX, to_b = b.valid_to ? b.valid_to : INT64_MAX;
          if (from >= std::min(to_a, to_b)) continue;
          // First common item (both item columns are sorted).
          size_t i = 0, j = 0;
          int64_t common = -1;
          while (i < a.items.size() && j < b.items.size() && common < 0) {
            if (a.items[i] < b.items[j]) ++i;
            else if (b.items[j] < a.items[i]) ++j;
            else common = a.items[i];
          }
          if (common < 0) continue;
          std::string scope = a.account >= 0   ? "account " + quote_value(out_.accounts[a.account].id)
                              : a.segment >= 0 ? "segment " + quote_value(segments_[a.segment])
                              : a.site >= 0    ? "site " + quote_value(c_.sites[a.site].id)
                                               : std::string("the tenant-wide scope");
          error(c_.b2b.price_lists[members[y]].where,
                "validity overlaps " + c_.b2b.price_lists[members[x]].where + " (" + quote_value(a.id) + ") for " +
                    scope + " and item " + quote_value(cat_.ids[common]) + ": " + window(a.valid_from, a.valid_to) +
                    " and " + window(b.valid_from, b.valid_to));
        }
  }

  const Config& c_;
  const Catalog& cat_;
  const std::vector<std::string>& segments_;
  B2BData& out_;
  ErrorList& errors_;
  const ProgressFn& progress_;
  uint64_t price_rows_ = 0;  // read so far, over every list (progress)
  std::unordered_map<std::string, int32_t> role_index_, account_index_;
};

}  // namespace

void load_b2b(const Config& config, const Catalog& catalog, const std::vector<std::string>& segment_ids, B2BData& out,
              ErrorList& errors, const ProgressFn& progress) {
  out = B2BData();
  Loader(config, catalog, segment_ids, out, errors, progress).run();
}

B2BOffsets write_b2b(flatbuffers::FlatBufferBuilder& fbb, const Config& c, const B2BData& d) {
  B2BOffsets o;
  if (d.empty()) return o;
  if (!c.account_attributes.empty()) {
    std::vector<flatbuffers::Offset<fb::Attribute>> attrs;
    for (size_t a = 0; a < c.account_attributes.size(); ++a)
      attrs.push_back(write_attribute(fbb, c.account_attributes[a].name, d.account_attributes[a]));
    o.account_attributes = fbb.CreateVector(attrs);
  }
  std::vector<flatbuffers::Offset<fb::Role>> roles;
  for (const B2BRole& r : d.roles) {
    auto id = fbb.CreateString(r.id);
    roles.push_back(fb::CreateRole(fbb, id, r.spending_limit, r.approver));
  }
  std::vector<flatbuffers::Offset<fb::Account>> accounts;
  for (const B2BAccount& a : d.accounts) {
    auto id = fbb.CreateString(a.id);
    auto name = a.name.empty() ? 0 : fbb.CreateString(a.name);
    auto allow_items = a.allow_items.empty() ? 0 : fbb.CreateVector(a.allow_items);
    auto deny_items = a.deny_items.empty() ? 0 : fbb.CreateVector(a.deny_items);
    auto allow_categories = a.allow_categories.empty() ? 0 : fbb.CreateVector(a.allow_categories);
    auto deny_categories = a.deny_categories.empty() ? 0 : fbb.CreateVector(a.deny_categories);
    auto currency = a.currency.empty() ? 0 : fbb.CreateString(a.currency);
    auto lists = a.price_lists.empty() ? 0 : fbb.CreateVector(a.price_lists);
    fb::AccountBuilder b(fbb);
    b.add_id(id);
    if (!name.IsNull()) b.add_name(name);
    b.add_parent(a.parent);
    b.add_spending_limit(a.spending_limit);
    if (!allow_items.IsNull()) b.add_allow_items(allow_items);
    if (!deny_items.IsNull()) b.add_deny_items(deny_items);
    if (!allow_categories.IsNull()) b.add_allow_categories(allow_categories);
    if (!deny_categories.IsNull()) b.add_deny_categories(deny_categories);
    if (!currency.IsNull()) b.add_currency(currency);
    b.add_approver(a.approver);
    if (!lists.IsNull()) b.add_price_lists(lists);
    accounts.push_back(b.Finish());
  }
  std::vector<flatbuffers::Offset<fb::PriceList>> lists;
  for (const B2BPriceList& l : d.price_lists) {
    auto id = fbb.CreateString(l.id);
    auto currency = l.currency.empty() ? 0 : fbb.CreateString(l.currency);
    auto items = fbb.CreateVector(l.items);
    auto min_q = fbb.CreateVector(l.min_quantity);
    auto prices = fbb.CreateVector(l.prices);
    fb::PriceListBuilder b(fbb);
    b.add_id(id);
    if (!currency.IsNull()) b.add_currency(currency);
    b.add_valid_from(l.valid_from);
    b.add_valid_to(l.valid_to);
    b.add_account(l.account);
    b.add_segment(l.segment);
    b.add_site(l.site);
    b.add_items(items);
    b.add_min_quantity(min_q);
    b.add_prices(prices);
    lists.push_back(b.Finish());
  }
  if (!roles.empty()) o.roles = fbb.CreateVector(roles);
  if (!accounts.empty()) o.accounts = fbb.CreateVector(accounts);
  if (!lists.empty()) o.price_lists = fbb.CreateVector(lists);
  return o;
}

void add_b2b(fb::SnapshotBuilder& b, const B2BOffsets& o) {
  if (!o.accounts.IsNull()) b.add_accounts(o.accounts);
  if (!o.price_lists.IsNull()) b.add_price_lists(o.price_lists);
  if (!o.roles.IsNull()) b.add_roles(o.roles);
  if (!o.account_attributes.IsNull()) b.add_account_attributes(o.account_attributes);
}

}  // namespace tailor::sync
