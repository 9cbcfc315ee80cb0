#include "tailor/b2b.h"

#include <algorithm>
#include <cmath>

namespace tailor {
namespace {

Status invalid(std::string what) { return Status(Code::kSnapshotInvalid, "snapshot invalid: " + what); }
Status bad(const std::string& field, const std::string& what) {
  return Status(Code::kInvalidArgument, "request." + field + ": " + what);
}

template <class V>
uint32_t len(const V* v) { return v ? v->size() : 0; }

template <class V>
bool sorted_in_range(const V* v, int64_t bound) {
  if (!v) return true;
  for (uint32_t i = 0; i < v->size(); ++i) {
    int64_t x = static_cast<int64_t>(v->Get(i));
    if (x < 0 || x >= bound) return false;
    if (i && static_cast<int64_t>(v->Get(i - 1)) >= x) return false;
  }
  return true;
}

template <class V, class T>
bool has_sorted(const V* v, T x) {
  if (!v || v->size() == 0) return false;
  const auto* b = v->data();
  return std::binary_search(b, b + v->size(), x);
}

// A list's currency; an absent one is the tenant currency.
std::string_view list_currency(const fb::Snapshot& root, const fb::PriceList& pl) {
  if (pl.currency()) return sv(pl.currency());
  return sv(root.tenant()->currency());
}

bool valid_at(const fb::PriceList& pl, int64_t now) {
  return (pl.valid_from() == 0 || now >= pl.valid_from()) && (pl.valid_to() == 0 || now < pl.valid_to());
}

std::string fmt(float v) {
  std::string s;
  JsonWriter w(s);
  w.number(v, 4);
  return s;
}

}  // namespace

const char* price_level_name(PriceLevel level) {
  switch (level) {
    case PriceLevel::kAccount: return "account";
    case PriceLevel::kParent: return "parent";
    case PriceLevel::kSegment: return "segment";
    case PriceLevel::kSite: return "site";
    case PriceLevel::kList: return "list";
    case PriceLevel::kCatalog: return "list";
  }
  return "unknown";
}

int32_t find_account(const fb::Snapshot& root, std::string_view id) {
  const auto* accounts = root.accounts();
  if (!accounts) return -1;
  uint32_t lo = 0, hi = accounts->size();
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    std::string_view m = sv(accounts->Get(mid)->id());
    if (m < id) lo = mid + 1;
    else if (m > id) hi = mid;
    else return static_cast<int32_t>(mid);
  }
  return -1;
}

std::vector<int32_t> shared_price_lists(const fb::Snapshot& root) {
  std::vector<int32_t> out;
  if (const auto* lists = root.price_lists())
    for (uint32_t i = 0; i < lists->size(); ++i)
      if (lists->Get(i)->account() < 0) out.push_back(static_cast<int32_t>(i));
  return out;
}

Status validate_b2b(const fb::Snapshot& root, uint32_t n) {
  const uint32_t naccount = len(root.accounts()), nlist = len(root.price_lists()), nrole = len(root.roles());
  const uint32_t ncat = len(root.categories()), nseg = len(root.segments()), nsite = len(root.sites());
  for (uint32_t r = 0; r < nrole; ++r) {
    const fb::Role& role = *root.roles()->Get(r);
    if (role.approver() < -1 || role.approver() >= static_cast<int32_t>(nrole))
      return invalid("role '" + std::string(sv(role.id())) + "' approver index");
    if (!(role.spending_limit() == -1.0f || (role.spending_limit() >= 0 && std::isfinite(role.spending_limit()))))
      return invalid("role '" + std::string(sv(role.id())) + "' spending_limit");
  }
  for (uint32_t a = 0; a < naccount; ++a) {
    const fb::Account& acc = *root.accounts()->Get(a);
    const std::string id(sv(acc.id()));
    if (a && !(sv(root.accounts()->Get(a - 1)->id()) < sv(acc.id())))
      return invalid("accounts not sorted by id at '" + id + "'");
    // Parents in range, acyclic, and no deeper than kMaxAccountDepth levels.
    int32_t p = acc.parent();
    uint32_t depth = 1;
    while (p != -1) {
      if (p < 0 || static_cast<uint32_t>(p) >= naccount) return invalid("account '" + id + "' parent index");
      if (++depth > kMaxAccountDepth) return invalid("account '" + id + "' hierarchy deeper than " +
                                                     std::to_string(kMaxAccountDepth) + " levels or cyclic");
      p = root.accounts()->Get(p)->parent();
    }
    if (acc.price_list() < -1 || acc.price_list() >= static_cast<int32_t>(nlist))
      return invalid("account '" + id + "' price_list index");
    if (!sorted_in_range(acc.allow_items(), n) || !sorted_in_range(acc.deny_items(), n))
      return invalid("account '" + id + "' entitlement items (sorted item indices)");
    if (!sorted_in_range(acc.allow_categories(), ncat) || !sorted_in_range(acc.deny_categories(), ncat))
      return invalid("account '" + id + "' entitlement categories (sorted category indices)");
    if (acc.approver() < -1 || acc.approver() >= static_cast<int32_t>(nrole))
      return invalid("account '" + id + "' approver index");
    if (!(acc.spending_limit() == -1.0f || (acc.spending_limit() >= 0 && std::isfinite(acc.spending_limit()))))
      return invalid("account '" + id + "' spending_limit");
    if (!sorted_in_range(acc.price_lists(), nlist)) return invalid("account '" + id + "' price_lists");
    if (acc.price_lists())
      for (int32_t l : *acc.price_lists())
        if (root.price_lists()->Get(l)->account() != static_cast<int32_t>(a))
          return invalid("account '" + id + "' lists a price list scoped to another account");
  }
  for (uint32_t l = 0; l < nlist; ++l) {
    const fb::PriceList& pl = *root.price_lists()->Get(l);
    const std::string id(sv(pl.id()));
    int scopes = (pl.account() != -1) + (pl.segment() != -1) + (pl.site() != -1);
    if (scopes > 1) return invalid("price list '" + id + "' has more than one scope");
    if (pl.account() < -1 || pl.account() >= static_cast<int32_t>(naccount) || pl.segment() < -1 ||
        pl.segment() >= static_cast<int32_t>(nseg) || pl.site() < -1 || pl.site() >= static_cast<int32_t>(nsite))
      return invalid("price list '" + id + "' scope index");
    if (pl.account() >= 0 && !has_sorted(root.accounts()->Get(pl.account())->price_lists(), static_cast<int32_t>(l)))
      return invalid("price list '" + id + "' is not listed by its account");
    const uint32_t m = len(pl.items());
    if (len(pl.min_quantity()) != m || len(pl.prices()) != m) return invalid("price list '" + id + "' column lengths");
    for (uint32_t e = 0; e < m; ++e) {
      uint32_t item = pl.items()->Get(e), q = pl.min_quantity()->Get(e);
      float price = pl.prices()->Get(e);
      if (item >= n) return invalid("price list '" + id + "' item index");
      if (q < 1) return invalid("price list '" + id + "' min_quantity < 1");
      if (!(price >= 0) || !std::isfinite(price)) return invalid("price list '" + id + "' price");
      if (e) {
        uint32_t pi = pl.items()->Get(e - 1), pq = pl.min_quantity()->Get(e - 1);
        if (pi > item || (pi == item && pq >= q)) return invalid("price list '" + id + "' entries not sorted/unique");
      }
    }
  }
  return Status::Ok();
}

Status prepare_b2b(const Snapshot& snap, const Request& req, int32_t site, int64_t now, Arena& arena,
                   B2BContext& out, SegmentTest in_segment, const void* segment_ctx) {
  const fb::Snapshot& root = snap.root();
  out = B2BContext();
  out.quantity = req.quantity;
  const bool has_b2b_data = len(root.accounts()) || len(root.price_lists()) || len(root.roles());
  out.pricing = has_b2b_data || !req.account.empty() || req.has_buyer || !req.currency.empty() || req.has_quantity;

  if (!req.account.empty()) {
    out.account = find_account(root, req.account);
    if (out.account < 0) return bad("account", "unknown account '" + req.account + "'");
    auto chain = arena.alloc<int32_t>(kMaxAccountDepth);
    size_t k = 0;
    for (int32_t a = out.account; a >= 0 && k < kMaxAccountDepth; a = root.accounts()->Get(a)->parent())
      chain[k++] = a;
    out.chain = chain.first(k);
  }
  int32_t role = -1;
  if (req.has_buyer && !req.buyer_role.empty()) {
    if (const auto* roles = root.roles())
      for (uint32_t r = 0; r < roles->size() && role < 0; ++r)
        if (sv(roles->Get(r)->id()) == req.buyer_role) role = static_cast<int32_t>(r);
    if (role < 0) return bad("buyer.role", "unknown role '" + req.buyer_role + "'");
  }
  out.role = role;

  // Entitlements: deny categories of every level, allow categories of the nearest level with an
  // allow list; marked per category once, with descendants, so the filter is a lookup per item.
  const uint32_t ncat = len(root.categories());
  if (out.account >= 0) {
    for (size_t k = 0; k < out.chain.size() && out.allow_level < 0; ++k) {
      const fb::Account& acc = *root.accounts()->Get(out.chain[k]);
      if (len(acc.allow_items()) || len(acc.allow_categories())) out.allow_level = static_cast<int32_t>(k);
    }
    auto direct = arena.zeroed<uint8_t>(ncat);
    for (int32_t a : out.chain)
      if (const auto* d = root.accounts()->Get(a)->deny_categories())
        for (int32_t c : *d) direct[c] |= 1;
    if (out.allow_level >= 0)
      if (const auto* al = root.accounts()->Get(out.chain[out.allow_level])->allow_categories())
        for (int32_t c : *al) direct[c] |= 2;
    out.category_state = arena.zeroed<uint8_t>(ncat);
    for (uint32_t c = 0; c < ncat; ++c) {
      uint8_t s = 0;
      for (int32_t q = static_cast<int32_t>(c); q >= 0; q = root.categories()->Get(q)->parent()) s |= direct[q];
      out.category_state[c] = s;
    }
  }

  // Currency: the request's, else the account's (nearest level), else the site's, else the tenant's.
  std::string_view tenant_currency = sv(root.tenant()->currency());
  out.currency = req.currency;
  for (size_t k = 0; out.currency.empty() && k < out.chain.size(); ++k)
    out.currency = sv(root.accounts()->Get(out.chain[k])->currency());
  if (out.currency.empty() && site >= 0) out.currency = sv(root.sites()->Get(site)->currency());
  if (out.currency.empty()) out.currency = tenant_currency;
  out.catalog_applies = out.currency == tenant_currency;

  // Applicable lists by rank: account (0), each ancestor (1..depth-1), segment, site, tenant-wide.
  const auto* lists = root.price_lists();
  const uint32_t nlist = len(lists);
  auto refs = arena.alloc<PriceListRef>(nlist);
  size_t m = 0;
  auto applies = [&](int32_t l) {
    const fb::PriceList& pl = *lists->Get(l);
    return valid_at(pl, now) && list_currency(root, pl) == out.currency;
  };
  for (size_t k = 0; k < out.chain.size(); ++k)
    if (const auto* own = root.accounts()->Get(out.chain[k])->price_lists())
      for (int32_t l : *own)
        if (applies(l))
          refs[m++] = PriceListRef{l, k == 0 ? PriceLevel::kAccount : PriceLevel::kParent, static_cast<uint32_t>(k),
                                   out.chain[k]};
  const uint32_t base = kMaxAccountDepth;
  for (int32_t l : snap.shared_price_lists()) {
    const fb::PriceList& pl = *lists->Get(l);
    if (!applies(l)) continue;
    if (pl.segment() >= 0) {
      if (in_segment && in_segment(segment_ctx, pl.segment())) refs[m++] = PriceListRef{l, PriceLevel::kSegment, base, -1};
    } else if (pl.site() >= 0) {
      if (pl.site() == site) refs[m++] = PriceListRef{l, PriceLevel::kSite, base + 1, -1};
    } else {
      refs[m++] = PriceListRef{l, PriceLevel::kList, base + 2, -1};
    }
  }
  std::stable_sort(refs.begin(), refs.begin() + m, [](const PriceListRef& a, const PriceListRef& b) { return a.rank < b.rank; });
  out.lists = refs.first(m);

  // Spending limit: the smaller of the role's and the nearest account level's; the approver is
  // the binding side's (an account's approver is inherited like its limit), else the other's.
  float role_limit = role >= 0 ? root.roles()->Get(role)->spending_limit() : -1.0f;
  int32_t role_approver = role >= 0 ? root.roles()->Get(role)->approver() : -1;
  float account_limit = -1.0f;
  int32_t account_approver = -1;
  for (int32_t a : out.chain) {
    const fb::Account& acc = *root.accounts()->Get(a);
    if (account_limit < 0 && acc.spending_limit() >= 0) {
      account_limit = acc.spending_limit();
      out.limit_account = a;
    }
    if (account_approver < 0 && acc.approver() >= 0) account_approver = acc.approver();
  }
  if (account_limit >= 0 && (role_limit < 0 || account_limit < role_limit)) {
    out.limit = account_limit;
    out.limit_from_account = true;
    out.approver = account_approver >= 0 ? account_approver : role_approver;
  } else {
    out.limit = role_limit;
    out.limit_account = -1;
    out.approver = role_approver >= 0 ? role_approver : account_approver;
  }
  return Status::Ok();
}

bool entitled(const Snapshot& snap, const B2BContext& b2b, uint32_t item) {
  if (b2b.account < 0) return true;
  const fb::Snapshot& root = snap.root();
  const auto* category = snap.items().category();
  const int32_t c = category ? category->Get(item) : -1;
  const uint8_t state = c >= 0 ? b2b.category_state[c] : 0;
  if (state & 1) return false;
  for (int32_t a : b2b.chain)
    if (has_sorted(root.accounts()->Get(a)->deny_items(), item)) return false;
  if (b2b.allow_level < 0) return true;
  return (state & 2) || has_sorted(root.accounts()->Get(b2b.chain[b2b.allow_level])->allow_items(), item);
}

PriceQuote quote_price(const Snapshot& snap, const B2BContext& b2b, uint32_t item, uint32_t quantity) {
  const fb::Snapshot& root = snap.root();
  PriceQuote q;
  q.quantity = quantity;
  for (size_t i = 0; i < b2b.lists.size() && !q.found;) {
    const uint32_t rank = b2b.lists[i].rank;
    for (; i < b2b.lists.size() && b2b.lists[i].rank == rank; ++i) {
      const PriceListRef& ref = b2b.lists[i];
      const fb::PriceList& pl = *root.price_lists()->Get(ref.list);
      if (!pl.items() || pl.items()->size() == 0) continue;
      const uint32_t* items = pl.items()->data();
      const uint32_t m = pl.items()->size();
      // Entries are sorted by (item, min_quantity): the last tier of `item` at or below quantity.
      const uint32_t* lo = std::lower_bound(items, items + m, item);
      const uint32_t* hi = std::upper_bound(lo, items + m, item);
      int64_t best = -1;
      for (const uint32_t* e = lo; e < hi; ++e) {
        uint32_t idx = static_cast<uint32_t>(e - items);
        if (pl.min_quantity()->Get(idx) <= quantity) best = idx;
      }
      if (best < 0) continue;
      float price = pl.prices()->Get(static_cast<uint32_t>(best));
      if (!q.found || price < q.price) {
        q.found = true;
        q.price = price;
        q.level = ref.level;
        q.list = ref.list;
        q.account = ref.account;
        q.min_quantity = pl.min_quantity()->Get(static_cast<uint32_t>(best));
      }
    }
  }
  if (!q.found && b2b.catalog_applies && snap.items().price()) {
    float price = snap.items().price()->Get(item);
    if (price == price) {
      q.found = true;
      q.price = price;
      q.level = PriceLevel::kCatalog;
    }
  }
  if (q.found) {
    q.amount = q.price * static_cast<float>(quantity);
    q.needs_approval = b2b.limit >= 0 && q.amount > b2b.limit;
  }
  return q;
}

void write_price_keys(const Snapshot& snap, const B2BContext& b2b, const PriceQuote& q, JsonWriter& w) {
  const fb::Snapshot& root = snap.root();
  w.key("price");
  if (!q.found) {  // nothing prices this item in the decision's currency
    w.null();
    return;
  }
  w.number(q.price, 4);
  if (!b2b.currency.empty()) { w.key("currency"); w.string(b2b.currency); }
  w.key("price_source");
  w.begin_object();
  if (q.list >= 0) { w.key("list"); w.string(sv(root.price_lists()->Get(q.list)->id())); }
  w.key("level"); w.string(price_level_name(q.level));
  if (q.account >= 0) { w.key("account"); w.string(sv(root.accounts()->Get(q.account)->id())); }
  w.end_object();
  if (q.list >= 0) { w.key("tier"); w.integer(q.min_quantity); }
  if (q.quantity != 1) { w.key("quantity"); w.integer(q.quantity); }
  if (q.needs_approval) {
    w.key("needs_approval");
    w.begin_object();
    w.key("approver_role");
    if (b2b.approver >= 0) w.string(sv(root.roles()->Get(b2b.approver)->id()));
    else w.null();
    w.key("limit"); w.number(b2b.limit, 4);
    w.key("amount"); w.number(q.amount, 4);
    w.end_object();
  }
}

void write_approval_explain(const Snapshot& snap, const B2BContext& b2b, const PriceQuote& q, JsonWriter& w) {
  if (!q.needs_approval) return;
  const fb::Snapshot& root = snap.root();
  std::string why = "amount " + fmt(q.amount) + " (" + fmt(q.price) + " x " + std::to_string(q.quantity) +
                    ") exceeds the spending limit " + fmt(b2b.limit) + " of ";
  if (b2b.limit_from_account) why += "account '" + std::string(sv(root.accounts()->Get(b2b.limit_account)->id())) + "'";
  else why += "role '" + std::string(sv(root.roles()->Get(b2b.role)->id())) + "'";
  if (b2b.approver >= 0) why += "; approver role '" + std::string(sv(root.roles()->Get(b2b.approver)->id())) + "'";
  else why += "; no approver role configured";
  w.key("approval");
  w.string(why);
}

}  // namespace tailor
