// Brands and sites inside one tenant (docs/tenancy.md): site scope, per-site slot overrides,
// per-site item overrides (titles, hidden) and site price lists, built by `tailor build` and decided
// by the engine; and tenant isolation of items, prices and profiles between two built tenants.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "tailor/engine.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;
using nlohmann::json;

namespace {

// Item -> the sites it is scoped to ("" = every site).
const std::map<std::string, std::string> kScope = {
    {"shared", ""}, {"uk-only", "a-uk"}, {"alder", "a-uk|a-de"}, {"de-only", "a-de"}, {"fr-only", "b-fr"}, {"fr-de", "b-fr|a-de"}};

void sites_fixture(const TempDir& dir, const std::string& tenant_price = "10") {
  std::string items = "id,title,category,price,popularity,sites,margin\n";
  int pop = 100;
  for (const auto& [id, sites] : kScope)
    items += id + ",Title " + id + ",c," + tenant_price + "," + std::to_string(pop--) + "," + sites + "," +
             std::to_string(pop % 7) + "\n";
  dir.write("items.csv", items);
  dir.write("de.csv", "item,price,min_quantity\nshared,11,1\nalder,12,1\nde-only,13,1\nfr-de,14,1\n");
  dir.write("fr.csv", "item,price,min_quantity\nshared,21,1\nfr-only,22,1\nfr-de,23,1\n");
  dir.write("uk.csv", "item,price,min_quantity\nshared,8,1\nuk-only,9,1\n");
  dir.write("overrides.csv",
            "item,site,title,hidden\n"
            "shared,a-de,Gemeinsam,\n"
            "alder,a-de,Erle,\n"
            "shared,b-fr,Partagé,\n"
            "fr-de,a-de,,true\n");
}

json config(const std::string& tenant = "group") {
  return json::parse(R"({
    "schema": 1,
    "tenant": {"id": ")" + tenant + R"(", "currency": "GBP"},
    "built_at": "2026-11-01T00:00:00Z",
    "sites": [{"id": "a-uk", "brand": "alder", "currency": "GBP"},
              {"id": "a-de", "brand": "alder", "currency": "EUR"},
              {"id": "b-fr", "brand": "bramble", "currency": "EUR"}],
    "items": {"path": "items.csv"},
    "attributes": [{"name": "margin", "type": "number"}],
    "site_overrides": {"path": "overrides.csv"},
    "price_lists": [{"id": "de", "site": "a-de", "currency": "EUR", "prices": {"path": "de.csv"}},
                    {"id": "fr", "site": "b-fr", "currency": "EUR", "prices": {"path": "fr.csv"}},
                    {"id": "uk", "site": "a-uk", "prices": {"path": "uk.csv"}}],
    "collections": [{"id": "picks", "items": ["fr-only", "shared", "uk-only"]}],
    "strategies": [{"id": "popular", "terms": [{"kind": "popularity"}]},
                   {"id": "margin", "terms": [{"kind": "attribute", "attribute": "margin"}]}],
    "slots": [{"id": "all", "strategy": "popular", "size": 10},
              {"id": "home", "strategy": "popular", "size": 3, "max_size": 5,
               "sites": {"b-fr": {"strategy": "margin", "size": 2},
                         "a-de": {"source": {"kind": "collection", "id": "picks"}, "max_size": 8}}}]
  })");
}

struct Group {
  TempDir dir;
  Engine engine;
  explicit Group(const json& c = config(), const std::string& tenant_price = "10") {
    sites_fixture(dir, tenant_price);
    BuildRun run = build_in(dir, c);
    INFO(joined(run.errors));
    REQUIRE(run.ok);
    bytes = run.snap.bytes;
    REQUIRE(engine.load_snapshot(bytes).ok());
  }
  json decide(json req) {
    if (!req.contains("slots")) req["slots"] = json::array({"all"});
    Status st = engine.decide(req.dump(), {});
    INFO(st.message());
    REQUIRE(st.ok());
    return json::parse(engine.output());
  }
  std::vector<uint8_t> bytes;
};

std::vector<std::string> ids(const json& d, size_t slot = 0) {
  std::vector<std::string> out;
  for (const json& i : d["slots"][slot]["items"]) out.push_back(i["id"]);
  return out;
}

const json& item(const json& d, const std::string& id, size_t slot = 0) {
  for (const json& i : d["slots"][slot]["items"])
    if (i["id"] == id) return i;
  FAIL("item ", id, " missing in ", d.dump());
  static json none;
  return none;
}

bool scoped_to(const std::string& id, const std::string& site) {
  const std::string& s = kScope.at(id);
  if (s.empty()) return true;
  return ("|" + s + "|").find("|" + site + "|") != std::string::npos;
}

}  // namespace

TEST_CASE("sites: a request for one site never sees another site's scoped items or site prices") {
  Group g;
  const std::map<std::string, std::string> own_list = {{"a-uk", "uk"}, {"a-de", "de"}, {"b-fr", "fr"}};
  for (const auto& [site, list] : own_list) {
    CAPTURE(site);
    for (const char* currency : {"", "GBP", "EUR"}) {  // asking for another site's currency does not help
      CAPTURE(currency);
      json req = {{"site", site}};
      if (*currency) req["currency"] = currency;
      json d = g.decide(req);
      std::set<std::string> seen;
      for (const json& i : d["slots"][0]["items"]) {
        std::string id = i["id"];
        seen.insert(id);
        CHECK(scoped_to(id, site));
        if (i.contains("price_source") && i["price_source"].contains("list")) CHECK(i["price_source"]["list"] == list);
      }
      // Every item of this site is there (hidden fr-de on a-de aside), so the check above saw them all.
      for (const auto& [id, sites] : kScope)
        if (scoped_to(id, site) && !(id == "fr-de" && site == "a-de")) CHECK(seen.count(id) == 1);
    }
  }
  // Site prices: the site's list in its currency, the catalog (tenant currency) where the site is GBP.
  json de = g.decide({{"site", "a-de"}});
  CHECK(item(de, "alder")["price"] == 12);
  CHECK(item(de, "alder")["currency"] == "EUR");
  CHECK(item(de, "alder")["price_source"] == json{{"list", "de"}, {"level", "site"}});
  json uk = g.decide({{"site", "a-uk"}});
  CHECK(item(uk, "uk-only")["price"] == 9);
  CHECK(item(uk, "alder")["price"] == 10);
  CHECK(item(uk, "alder")["price_source"] == json{{"level", "list"}});
  CHECK(item(uk, "alder")["currency"] == "GBP");
  // a-uk asking for EUR: no list of a-uk is in EUR and the catalog is GBP, so no price (not a-de's).
  json uk_eur = g.decide({{"site", "a-uk"}, {"currency", "EUR"}});
  CHECK(item(uk_eur, "alder")["price"].is_null());
  CHECK(item(uk_eur, "shared")["price"].is_null());
  // Without a site: only unscoped items, catalog prices, no site list.
  json none = g.decide(json::object());
  CHECK(ids(none) == std::vector<std::string>{"shared"});
  CHECK(item(none, "shared")["price_source"] == json{{"level", "list"}});
}

TEST_CASE("sites: slot overrides change strategy, size and source on their site only") {
  Group g;
  json uk = g.decide({{"site", "a-uk"}, {"slots", {"home"}}});
  CHECK(uk["slots"][0]["strategy"] == "popular");
  CHECK(uk["slots"][0]["items"].size() == 3);
  // b-fr: the margin strategy and size 2.
  json fr = g.decide({{"site", "b-fr"}, {"slots", {"home"}}});
  CHECK(fr["slots"][0]["strategy"] == "margin");
  CHECK(fr["slots"][0]["items"].size() == 2);
  // a-de: the collection source (items of other sites in it are still filtered by site scope), and
  // its own max_size.
  json de = g.decide({{"site", "a-de"}, {"slots", {json{{"id", "home"}, {"size", 7}}}}});
  CHECK(de["slots"][0]["strategy"] == "popular");
  CHECK(ids(de) == std::vector<std::string>{"shared"});
  CHECK(de["slots"][0]["candidates"] == 3);
  CHECK(de["slots"][0]["filtered"]["site_scope"] == 2);
  CHECK(g.engine.decide(R"({"site":"a-uk","slots":[{"id":"home","size":7}]})", {}).code() == Code::kLimitExceeded);
  // No site: the slot as configured.
  json none = g.decide({{"slots", {"home"}}});
  CHECK(none["slots"][0]["strategy"] == "popular");
}

TEST_CASE("sites: item overrides: titles per site, hidden per site counted as deny_list") {
  Group g;
  json de = g.decide({{"site", "a-de"}});
  CHECK(item(de, "shared")["title"] == "Gemeinsam");
  CHECK(item(de, "alder")["title"] == "Erle");
  CHECK(item(de, "de-only")["title"] == "Title de-only");
  CHECK(de["slots"][0]["filtered"]["deny_list"] == 1);  // fr-de hidden on a-de
  json fr = g.decide({{"site", "b-fr"}});
  CHECK(item(fr, "shared")["title"] == "Partagé");
  CHECK(item(fr, "fr-de")["title"] == "Title fr-de");  // hidden on a-de only
  json uk = g.decide({{"site", "a-uk"}});
  CHECK(item(uk, "shared")["title"] == "Title shared");
  CHECK(item(uk, "alder")["title"] == "Title alder");
}

TEST_CASE("sites: located build errors for slot and item overrides") {
  TempDir dir;
  sites_fixture(dir);
  json c = config();
  c["slots"][1]["sites"] = json::parse(R"({"x-zz": {"size": 2}, "a-uk": {}, "a-de": {"strategy": "nope", "size": 9},
                                           "b-fr": {"source": {"kind": "collection", "id": "none"}, "colour": 1}})");
  BuildRun run = build_in(dir, c);
  CHECK_FALSE(run.ok);
  INFO(joined(run.errors));
  CHECK(has_error(run.errors, "slots[1].sites.a-uk: an override changes at least one of strategy, size, max_size, source"));
  CHECK(has_error(run.errors, "slots[1].sites.a-de: size 9 is larger than max_size 5 on this site"));
  CHECK(has_error(run.errors, "slots[1].sites.b-fr.colour: unknown field"));
  // Reference errors are reported once the shape is right.
  c["slots"][1]["sites"] = json::parse(R"({"x-zz": {"size": 2}, "a-de": {"strategy": "nope"},
                                           "b-fr": {"source": {"kind": "collection", "id": "none"}}})");
  run = build_in(dir, c);
  CHECK_FALSE(run.ok);
  CHECK(has_error(run.errors, "slots[1].sites.x-zz: unknown site 'x-zz'"));
  CHECK(has_error(run.errors, "slots[1].sites.a-de.strategy: unknown strategy 'nope'"));
  CHECK(has_error(run.errors, "slots[1].sites.b-fr.source.id: unknown collection 'none'"));

  dir.write("overrides.csv",
            "item,site,title,hidden\n"
            "shared,a-de,A,\n"
            "nope,a-de,B,\n"
            "shared,zz,C,\n"
            "shared,a-de,D,\n"
            "alder,a-de,,maybe\n"
            "alder,b-fr,,\n"
            ",b-fr,E,\n");
  run = build_in(dir, config());
  CHECK_FALSE(run.ok);
  INFO(joined(run.errors));
  CHECK(has_error(run.errors, "overrides.csv:3: field 'item': unknown item 'nope'"));
  CHECK(has_error(run.errors, "overrides.csv:4: field 'site': unknown site 'zz'"));
  CHECK(has_error(run.errors, "overrides.csv:5: field 'item': item 'shared' already has an override on site 'a-de' (at "));
  CHECK(has_error(run.errors, "overrides.csv:6: field 'hidden': 'maybe' is not a boolean"));
  CHECK(has_error(run.errors, "overrides.csv:7: field 'title': an override sets a title or hidden: true"));
  CHECK(has_error(run.errors, "overrides.csv:8: field 'item': is required"));
}

TEST_CASE("sites: two tenants built from the same sources never see each other's items or prices") {
  // Same item ids, different prices: each engine answers with its own tenant's prices only.
  Group a(config("group-a"), "10"), b(config("group-b"), "70");
  json da = a.decide({{"site", "a-uk"}}), db = b.decide({{"site", "a-uk"}});
  CHECK(da["tenant"] == "group-a");
  CHECK(db["tenant"] == "group-b");
  CHECK(item(da, "alder")["price"] == 10);
  CHECK(item(db, "alder")["price"] == 70);
  // A request naming the other tenant is refused; the other tenant's snapshot is refused for this one.
  CHECK(a.engine.decide(R"({"tenant":"group-b","site":"a-uk","slots":["all"]})", {}).code() == Code::kInvalidArgument);
  CHECK(a.engine.load_snapshot(b.bytes, "group-a").code() == Code::kTenantMismatch);
  CHECK(a.decide({{"site", "a-uk"}}) == da);
}
