// tailor.json: tenant.currency, roles, price_lists and the accounts source (docs/b2b.md).
#include <map>

#include "b2b.h"
#include "config_reader.h"

namespace tailor::sync {
namespace {

bool valid_currency(const std::string& s) {
  if (s.size() != 3) return false;
  for (char ch : s)
    if (ch < 'A' || ch > 'Z') return false;
  return true;
}

std::optional<std::string> currency(ConfigReader& r, const nlohmann::json& obj, const std::string& path) {
  auto cur = r.text(obj, "currency", path);
  if (cur && !valid_currency(*cur)) {
    r.error(at(path, "currency"), quote_value(*cur) + " is not an ISO 4217 currency code (three capital letters)");
    return std::nullopt;
  }
  return cur;
}

void parse_roles(ConfigReader& r, const nlohmann::json& root, Config& c) {
  const nlohmann::json* v = r.member(root, "roles", "", false);
  if (!v) return;
  if (!v->is_array()) return r.error("roles", std::string("expected an array, got ") + v->type_name());
  if (v->size() > kMaxRoles) return r.error("roles", std::to_string(v->size()) + " roles, at most " + std::to_string(kMaxRoles));
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < v->size(); ++i) {
    std::string p = at("roles", i);
    const nlohmann::json& j = (*v)[i];
    if (!r.object(j, p, {"id", "spending_limit", "approver"})) continue;
    auto id = r.id(j, "id", p);
    if (!id) continue;
    r.unique(seen, *id, at(p, "id"));
    RoleConfig role;
    role.id = *id;
    role.where = p;
    if (auto limit = r.number(j, "spending_limit", p)) {
      if (*limit < 0) r.error(at(p, "spending_limit"), "must be >= 0");
      else role.spending_limit = static_cast<float>(*limit);
    }
    if (auto a = r.id(j, "approver", p, false)) role.approver = IdRef{*a, at(p, "approver")};
    c.b2b.roles.push_back(std::move(role));
  }
}

void parse_price_lists(ConfigReader& r, const nlohmann::json& root, Config& c) {
  const nlohmann::json* v = r.member(root, "price_lists", "", false);
  if (!v) return;
  if (!v->is_array()) return r.error("price_lists", std::string("expected an array, got ") + v->type_name());
  if (v->size() > kMaxPriceLists)
    return r.error("price_lists", std::to_string(v->size()) + " lists, at most " + std::to_string(kMaxPriceLists));
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < v->size(); ++i) {
    std::string p = at("price_lists", i);
    const nlohmann::json& j = (*v)[i];
    if (!r.object(j, p, {"id", "currency", "valid_from", "valid_to", "account", "segment", "site", "prices"})) continue;
    auto id = r.id(j, "id", p);
    if (id) r.unique(seen, *id, at(p, "id"));
    PriceListConfig pl;
    pl.where = p;
    pl.currency = currency(r, j, p).value_or("");
    pl.valid_from = r.timestamp(j, "valid_from", p).value_or(0);
    pl.valid_to = r.timestamp(j, "valid_to", p).value_or(0);
    if (pl.valid_from && pl.valid_to && pl.valid_to <= pl.valid_from) r.error(at(p, "valid_to"), "is not after valid_from");
    int scopes = 0;
    if (auto a = r.id(j, "account", p, false)) { pl.account = IdRef{*a, at(p, "account")}; ++scopes; }
    if (auto s = r.id(j, "segment", p, false)) { pl.segment = IdRef{*s, at(p, "segment")}; ++scopes; }
    if (auto s = r.id(j, "site", p, false)) { pl.site = IdRef{*s, at(p, "site")}; ++scopes; }
    if (scopes > 1) r.error(p, "account, segment and site are exclusive: a price list has one scope");
    auto prices = r.source(j, "prices", p, true);
    if (!id || !prices) continue;
    pl.id = *id;
    pl.prices = *prices;
    c.b2b.price_lists.push_back(std::move(pl));
  }
}

}  // namespace

void parse_tenant_currency(ConfigReader& r, const nlohmann::json& tenant, Config& c) {
  c.b2b.currency = currency(r, tenant, "tenant").value_or("");
}

void parse_b2b_config(ConfigReader& r, const nlohmann::json& root, Config& c) {
  c.b2b.accounts = r.source(root, "accounts", "", false);
  parse_roles(r, root, c);
  parse_price_lists(r, root, c);
}

}  // namespace tailor::sync
