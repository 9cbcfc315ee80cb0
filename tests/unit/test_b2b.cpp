// B2B: account hierarchy, entitlements, price selection, tiers, validity, currency, approval,
// request errors and the build-time errors, through `tailor build` and the engine.
#include <doctest/doctest.h>

#include <functional>
#include <map>

#include <flatbuffers/flatbuffers.h>

#include "tailor/b2b.h"
#include "tailor/engine.h"
#include "fixture.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;
using nlohmann::json;

namespace {

constexpr int64_t kJan2026 = 1767225600;  // 2026-01-01T00:00:00Z
constexpr int64_t kJul2026 = 1782864000;  // 2026-07-01T00:00:00Z

void write_b2b_fixture(const TempDir& dir) {
  dir.write("categories.csv", "id,name,parent\nparts,Parts,\nbolts,Bolts,parts\ntools,Tools,\nsafety,Safety,\nmisc,Misc,\n");
  dir.write("items.csv",
            "id,title,category,price,popularity\n"
            "bolt,Bolt,bolts,1.00,100\n"
            "nut,Nut,parts,0.50,90\n"
            "drill,Drill,tools,200,80\n"
            "saw,Saw,tools,150,70\n"
            "hat,Hat,safety,30,60\n"
            "tape,Tape,misc,5,50\n");
  dir.write("accounts.csv",
            "id,parent,currency,spending_limit,approver,allow_items,deny_items,allow_categories,deny_categories\n"
            "co,,USD,,,,,,safety\n"
            "div,co,,900,director,,saw,parts|tools,\n"
            "cc,div,,,,nut|bolt|drill|tape|hat,,,\n"
            "other,,EUR,,,,,,\n");
  dir.write("co.csv", "item,price,min_quantity\nbolt,0.90,1\ndrill,180,1\nsaw,140,1\n");
  dir.write("div-h1.csv", "item,price,min_quantity\nbolt,0.80,1\nbolt,0.60,100\n");
  dir.write("div-h2.csv", "item,price,min_quantity\nbolt,0.85,1\n");
  dir.write("cc.csv", "item,price,min_quantity\nnut,0.40,1\n");
  dir.write("eu.csv", "item,price,min_quantity\nbolt,0.95,1\ndrill,190,1\nnut,0.45,1\n");
  dir.write("us.csv", "item,price,min_quantity\nhat,25,1\n");
  dir.write("volume.csv", "item,price,min_quantity\nnut,0.30,50\n");
  dir.write("gold.csv", "item,price,min_quantity\ndrill,170,1\nhat,27,1\n");
}

json b2b_config() {
  return json::parse(R"({
    "schema": 1,
    "tenant": {"id": "b2b", "currency": "USD"},
    "built_at": "2026-03-01T00:00:00Z",
    "sites": [{"id": "us", "currency": "USD"}, {"id": "eu", "currency": "EUR"}],
    "categories": {"path": "categories.csv"},
    "items": {"path": "items.csv"},
    "accounts": {"path": "accounts.csv"},
    "roles": [{"id": "buyer", "spending_limit": 100, "approver": "manager"},
              {"id": "manager", "spending_limit": 5000, "approver": "director"},
              {"id": "director"}],
    "price_lists": [
      {"id": "co", "account": "co", "prices": {"path": "co.csv"}},
      {"id": "div-h1", "account": "div", "valid_from": "2026-01-01T00:00:00Z", "valid_to": "2026-07-01T00:00:00Z",
       "prices": {"path": "div-h1.csv"}},
      {"id": "div-h2", "account": "div", "valid_from": "2026-07-01T00:00:00Z", "prices": {"path": "div-h2.csv"}},
      {"id": "cc", "account": "cc", "currency": "USD", "prices": {"path": "cc.csv"}},
      {"id": "eu", "site": "eu", "currency": "EUR", "prices": {"path": "eu.csv"}},
      {"id": "us", "site": "us", "prices": {"path": "us.csv"}},
      {"id": "volume", "prices": {"path": "volume.csv"}},
      {"id": "gold", "segment": "gold", "prices": {"path": "gold.csv"}}
    ],
    "segments": [{"id": "gold"}],
    "strategies": [{"id": "popular", "terms": [{"kind": "popularity"}]}],
    "slots": [{"id": "all", "strategy": "popular", "size": 10, "in_stock_only": false},
              {"id": "quote", "strategy": "popular", "source": {"kind": "request"}, "in_stock_only": false}],
    "rules": [{"id": "pin-saw", "action": "pin", "position": 1, "match": {"items": ["saw"]}},
              {"id": "boost-hat", "action": "boost", "amount": 10, "match": {"items": ["hat"]}}]
  })");
}

struct B2BEngine {
  TempDir dir;
  Engine engine;
  explicit B2BEngine(const json& config = b2b_config()) {
    write_b2b_fixture(dir);
    BuildRun run = build_in(dir, config);
    INFO(joined(run.errors));
    REQUIRE(run.ok);
    REQUIRE(engine.load_snapshot(run.snap.bytes).ok());
  }
  json decide(json req) {
    if (!req.contains("slots")) req["slots"] = json::array({"all"});
    if (!req.contains("now")) req["now"] = kJan2026 + 86400;
    Status st = engine.decide(req.dump(), {});
    INFO(st.message());
    REQUIRE(st.ok());
    return json::parse(engine.output());
  }
  Status error(json req) {
    if (!req.contains("slots")) req["slots"] = json::array({"all"});
    return engine.decide(req.dump(), {});
  }
};

const json* find_item(const json& slot, const std::string& id) {
  for (const json& i : slot["items"])
    if (i["id"] == id) return &i;
  return nullptr;
}

json item_of(const json& d, const std::string& id, size_t slot = 0) {
  const json* i = find_item(d["slots"][slot], id);
  INFO(id, " missing in ", d.dump());
  REQUIRE(i != nullptr);
  return *i;
}

}  // namespace

TEST_CASE("b2b price selection: account, then parent chain, then site, then tenant list, then catalog") {
  B2BEngine e;
  // cc's own list prices the nut; the bolt comes from the parent div (nearer than co).
  json d = e.decide({{"account", "cc"}, {"site", "us"}});
  CHECK(item_of(d, "nut")["price"] == 0.4);
  CHECK(item_of(d, "nut")["price_source"] == json{{"list", "cc"}, {"level", "account"}, {"account", "cc"}});
  CHECK(item_of(d, "bolt")["price"] == 0.8);
  CHECK(item_of(d, "bolt")["price_source"] == json{{"list", "div-h1"}, {"level", "parent"}, {"account", "div"}});
  CHECK(item_of(d, "bolt")["tier"] == 1);
  CHECK(item_of(d, "drill")["price_source"] == json{{"list", "co"}, {"level", "parent"}, {"account", "co"}});
  // Without an account: the site list, else the catalog price ("list" level, no list id).
  d = e.decide({{"site", "us"}});
  CHECK(item_of(d, "hat")["price"] == 25);
  CHECK(item_of(d, "hat")["price_source"] == json{{"list", "us"}, {"level", "site"}});
  CHECK(item_of(d, "drill")["price"] == 200);
  CHECK(item_of(d, "drill")["price_source"] == json{{"level", "list"}});
  CHECK(item_of(d, "drill")["currency"] == "USD");
  CHECK_FALSE(item_of(d, "drill").contains("tier"));
}

TEST_CASE("b2b segment price lists: after the account chain, before the site list") {
  B2BEngine e;
  json d = e.decide({{"site", "us"}, {"segments", {"gold"}}});
  CHECK(item_of(d, "drill")["price_source"] == json{{"list", "gold"}, {"level", "segment"}});
  CHECK(item_of(d, "hat")["price"] == 27);  // segment (27) before site (25): nearer level wins, not lower price
  CHECK(item_of(d, "hat")["price_source"]["level"] == "segment");
  d = e.decide({{"site", "us"}});
  CHECK(item_of(d, "drill")["price_source"] == json{{"level", "list"}});
  // An account's contract (co, via the parent chain) comes before the segment.
  d = e.decide({{"site", "us"}, {"segments", {"gold"}}, {"account", "div"}});
  CHECK(item_of(d, "drill")["price_source"]["list"] == "co");
}

TEST_CASE("b2b quantity tiers: the highest min_quantity at or below the quantity") {
  B2BEngine e;
  json d = e.decide({{"account", "div"}, {"quantity", 99}});
  CHECK(item_of(d, "bolt")["price"] == 0.8);
  CHECK(item_of(d, "bolt")["tier"] == 1);
  d = e.decide({{"account", "div"}, {"quantity", 100}});
  CHECK(item_of(d, "bolt")["price"] == 0.6);
  CHECK(item_of(d, "bolt")["tier"] == 100);
  CHECK(item_of(d, "bolt")["quantity"] == 100);
  // A tier that does not apply falls through to the next level: volume starts at 50 nuts.
  d = e.decide({{"site", "us"}, {"slots", json::array({{{"id", "quote"}, {"items", json::array({"nut", {{"id", "bolt"}}})}}})}});
  CHECK(item_of(d, "nut")["price_source"] == json{{"level", "list"}});
  d = e.decide({{"site", "us"}, {"slots", json::array({{{"id", "quote"}, {"items", json::array({{{"id", "nut"}, {"quantity", 50}}, "bolt"})}}})}});
  CHECK(item_of(d, "nut")["price"] == 0.3);
  CHECK(item_of(d, "nut")["price_source"] == json{{"list", "volume"}, {"level", "list"}});
  CHECK(item_of(d, "nut")["tier"] == 50);
  CHECK_FALSE(item_of(d, "bolt").contains("quantity"));  // per item: the bolt keeps quantity 1
}

TEST_CASE("b2b validity windows follow the request's now") {
  B2BEngine e;
  CHECK(item_of(e.decide({{"account", "div"}, {"now", kJan2026 + 10}}), "bolt")["price_source"]["list"] == "div-h1");
  CHECK(item_of(e.decide({{"account", "div"}, {"now", kJul2026 - 1}}), "bolt")["price_source"]["list"] == "div-h1");
  CHECK(item_of(e.decide({{"account", "div"}, {"now", kJul2026}}), "bolt")["price_source"]["list"] == "div-h2");
  // Before either window: the company's contract.
  CHECK(item_of(e.decide({{"account", "div"}, {"now", kJan2026 - 1}}), "bolt")["price_source"]["list"] == "co");
}

TEST_CASE("b2b currency: request, then account, then site, then tenant; other currencies do not apply") {
  B2BEngine e;
  // Site eu without an account: EUR, the eu list; the hat has no EUR price at all.
  json d = e.decide({{"site", "eu"}});
  CHECK(item_of(d, "bolt")["price"] == 0.95);
  CHECK(item_of(d, "bolt")["currency"] == "EUR");
  CHECK(item_of(d, "hat")["price"].is_null());
  CHECK_FALSE(item_of(d, "hat").contains("price_source"));
  // The account's currency (USD, inherited from co) wins over the site's.
  d = e.decide({{"site", "eu"}, {"account", "cc"}});
  CHECK(item_of(d, "bolt")["currency"] == "USD");
  CHECK(item_of(d, "bolt")["price_source"]["list"] == "div-h1");
  // The request's currency wins over both: USD contracts no longer apply.
  d = e.decide({{"site", "eu"}, {"account", "cc"}, {"currency", "EUR"}});
  CHECK(item_of(d, "bolt")["price_source"] == json{{"list", "eu"}, {"level", "site"}});
  // An EUR account on the us site: the us list is in USD (the tenant currency), so no price.
  d = e.decide({{"site", "us"}, {"account", "other"}});
  CHECK(item_of(d, "hat")["price"].is_null());
}

TEST_CASE("b2b entitlements: nearest allow list wins, deny always wins, pins cannot bring items back") {
  B2BEngine e;
  // co denies safety; div allows parts + tools and denies saw; cc's own allow list (the nearest)
  // adds tape, outside div's categories, and names hat, which co's deny still removes.
  json d = e.decide({{"account", "div"}});
  std::vector<std::string> ids;
  for (const json& i : d["slots"][0]["items"]) ids.push_back(i["id"]);
  CHECK(ids == std::vector<std::string>{"bolt", "nut", "drill"});  // no pinned saw, no boosted hat
  CHECK(d["slots"][0]["filtered"]["entitlement"] == 3);
  d = e.decide({{"account", "cc"}});
  ids.clear();
  for (const json& i : d["slots"][0]["items"]) ids.push_back(i["id"]);
  CHECK(ids == std::vector<std::string>{"bolt", "nut", "drill", "tape"});
  CHECK(d["slots"][0]["filtered"]["entitlement"] == 2);
  // No account: no entitlement filter; the pin and the boost work.
  d = e.decide(json::object());
  CHECK(d["slots"][0]["items"][0]["id"] == "saw");
  CHECK(d["slots"][0]["items"][1]["id"] == "hat");
  CHECK_FALSE(d["slots"][0]["filtered"].contains("entitlement"));
}

TEST_CASE("b2b approval: the smaller of role and account limits binds, with its approver") {
  B2BEngine e;
  // buyer role (100, approver manager) under div (900, approver director): 3 drills = 540 > 100.
  json d = e.decide({{"account", "div"}, {"buyer", {{"id", "u1"}, {"role", "buyer"}}}, {"quantity", 3}});
  json drill = item_of(d, "drill");
  CHECK(drill["needs_approval"] == json{{"approver_role", "manager"}, {"limit", 100}, {"amount", 540}});
  CHECK(drill["explain"]["approval"] ==
        "amount 540 (180 x 3) exceeds the spending limit 100 of role 'buyer'; approver role 'manager'");
  CHECK_FALSE(item_of(d, "bolt").contains("needs_approval"));  // 0.80 x 3
  // manager role (5000) under div (900, inherited by cc): the account limit binds, director approves.
  d = e.decide({{"account", "div"}, {"buyer", {{"id", "u2"}, {"role", "manager"}}}, {"quantity", 5}});
  CHECK_FALSE(item_of(d, "drill").contains("needs_approval"));  // 900 is not over 900
  d = e.decide({{"account", "div"}, {"buyer", {{"id", "u2"}, {"role", "manager"}}}, {"quantity", 6}});
  CHECK(item_of(d, "drill")["needs_approval"] == json{{"approver_role", "director"}, {"limit", 900}, {"amount", 1080}});
  CHECK(item_of(d, "drill")["explain"]["approval"].get<std::string>().find("of account 'div'") != std::string::npos);
  // Without a buyer the account limit still applies; without either nothing needs approval.
  CHECK(item_of(e.decide({{"account", "div"}, {"quantity", 6}}), "drill").contains("needs_approval"));
  CHECK_FALSE(item_of(e.decide({{"account", "other"}, {"currency", "USD"}, {"quantity", 1000}}), "drill").contains("needs_approval"));
}

TEST_CASE("b2b request errors name the field") {
  B2BEngine e;
  Status st = e.error({{"account", "nobody"}});
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(st.message() == "request.account: unknown account 'nobody'");
  st = e.error({{"buyer", {{"id", "u"}, {"role", "ceo"}}}});
  CHECK(st.message() == "request.buyer.role: unknown role 'ceo'");
  CHECK(e.error({{"buyer", "u"}}).message().rfind("request.buyer:", 0) == 0);
  CHECK(e.error({{"quantity", 0}}).message() == "request.quantity: must be an integer from 1 to 1000000000");
  CHECK(e.error({{"quantity", 1.5}}).message().rfind("request.quantity:", 0) == 0);
  CHECK(e.error({{"currency", "usd"}}).message().rfind("request.currency:", 0) == 0);
  CHECK(e.error({{"account", ""}}).message().rfind("request.account:", 0) == 0);
  st = e.error({{"slots", json::array({{{"id", "quote"}, {"items", json::array({{{"id", "nut"}, {"quantity", -2}}})}}})}});
  CHECK(st.message() == "request.slots[0].items[0].quantity: must be an integer from 1 to 1000000000");
}

TEST_CASE("b2b snapshots without B2B config keep their output") {
  TempDir dir;
  write_fixture(dir);
  BuildRun run = build_in(dir, fixture_config());
  REQUIRE(run.ok);
  auto snap = Snapshot::open(run.snap.bytes);
  REQUIRE(snap.ok());
  CHECK(snap->root().accounts() == nullptr);
  CHECK(snap->root().price_lists() == nullptr);
  CHECK(snap->root().roles() == nullptr);
  Engine engine;
  REQUIRE(engine.load_snapshot(run.snap.bytes).ok());
  REQUIRE(engine.decide(R"({"slots":["home"],"site":"us"})", {}).ok());
  CHECK(engine.output().find("price_source") == std::string::npos);
}

namespace {

BuildRun build_with(const std::function<void(TempDir&, json&)>& change) {
  TempDir dir;
  write_b2b_fixture(dir);
  json c = b2b_config();
  change(dir, c);
  return build_in(dir, c);
}

void expect_error(const std::function<void(TempDir&, json&)>& change, const std::string& needle) {
  check_build_failed(build_with(change), needle);
}

}  // namespace

TEST_CASE("b2b build errors: hierarchy") {
  expect_error([](TempDir& d, json&) { d.write("accounts.csv", "id,parent\na,b\nb,c\nc,a\nd,\n"); },
               "accounts.csv:2: field 'parent': account hierarchy has a cycle: a -> b -> c -> a");
  expect_error([](TempDir& d, json&) { d.write("accounts.csv", "id,parent\na,\nb,zz\n"); },
               "accounts.csv:3: field 'parent': unknown account 'zz'");
  expect_error([](TempDir& d, json&) { d.write("accounts.csv", "id,parent\na,a\n"); },
               "account hierarchy has a cycle: a -> a");
  expect_error([](TempDir& d, json&) { d.write("accounts.csv", "id\na\na\n"); }, "accounts.csv:3: field 'id': duplicate account 'a'");
  expect_error([](TempDir& d, json&) {
    std::string csv = "id,parent\nl0,\n";
    for (int i = 1; i <= 40; ++i) csv += "l" + std::to_string(i) + ",l" + std::to_string(i - 1) + "\n";
    d.write("accounts.csv", csv);
  }, "accounts.csv:34: account 'l32' is more than 32 levels deep");
  expect_error([](TempDir& d, json&) { d.write("accounts.csv", "id,deny_items,allow_categories,approver,spending_limit\na,ghost,nowhere,ceo,-5\n"); },
               "accounts.csv:2: field 'deny_items': unknown item 'ghost'");
  BuildRun run = build_with([](TempDir& d, json&) { d.write("accounts.csv", "id,deny_items,allow_categories,approver,spending_limit\na,ghost,nowhere,ceo,-5\n"); });
  CHECK(has_error(run.errors, "field 'allow_categories': unknown category 'nowhere'"));
  CHECK(has_error(run.errors, "field 'approver': unknown role 'ceo'"));
  CHECK(has_error(run.errors, "field 'spending_limit': must be >= 0"));
}

TEST_CASE("b2b build errors: price lists") {
  expect_error([](TempDir& d, json&) { d.write("co.csv", "item,price,min_quantity\nbolt,1,1\ndrill,2,5\nbolt,0.9,1\n"); },
               "co.csv:4: overlapping price tier: item 'bolt' min_quantity 1 is already priced in list 'co' at co.csv:2");
  expect_error([](TempDir& d, json&) { d.write("co.csv", "item,price\nghost,1\n"); }, "co.csv:2: field 'item': unknown item 'ghost'");
  // Prices print in their shortest form, as values do in every other message.
  std::string all = check_build_failed(build_with([](TempDir& d, json&) { d.write("co.csv", "item,price\nbolt,-1\ndrill,-2.5\n"); }),
                                       "co.csv:2: field 'price': negative price -1");
  CHECK(all.find("co.csv:2: field 'price': negative price -1\n") != std::string::npos);
  CHECK(all.find("co.csv:3: field 'price': negative price -2.5\n") != std::string::npos);
  expect_error([](TempDir& d, json&) { d.write("co.csv", "item,price,min_quantity\nbolt,1,0\n"); }, "co.csv:2: field 'min_quantity': must be from 1");
  expect_error([](TempDir& d, json&) { d.write("co.csv", "item\nbolt\n"); }, "co.csv:2: field 'price': is required");
  // div-h2 open-ended from July overlaps a list valid all year for the same account and item.
  expect_error([](TempDir&, json& c) { c["price_lists"][1]["valid_to"] = "2026-08-01T00:00:00Z"; },
               "tailor.json: price_lists[2]: validity overlaps price_lists[1] ('div-h1') for account 'div' and item 'bolt'");
  // The same window in another currency is not an overlap.
  BuildRun ok = build_with([](TempDir&, json& c) {
    c["price_lists"][1]["valid_to"] = "2026-08-01T00:00:00Z";
    c["price_lists"][2]["currency"] = "EUR";
  });
  INFO(joined(ok.errors));
  CHECK(ok.ok);
  expect_error([](TempDir&, json& c) { c["price_lists"][0]["account"] = "nobody"; },
               "tailor.json: price_lists[0].account: unknown account 'nobody'");
  expect_error([](TempDir&, json& c) { c["price_lists"][4]["site"] = "mars"; }, "price_lists[4].site: unknown site 'mars'");
  expect_error([](TempDir&, json& c) { c["price_lists"][4]["account"] = "co"; },
               "price_lists[4]: account, segment and site are exclusive");
  expect_error([](TempDir&, json& c) { c["price_lists"][4].erase("site"); c["price_lists"][4]["segment"] = "silver"; }, "price_lists[4].segment: unknown segment 'silver'");
  expect_error([](TempDir&, json& c) { c["price_lists"][0]["currency"] = "usd"; }, "price_lists[0].currency: 'usd' is not an ISO 4217");
  expect_error([](TempDir&, json& c) { c["price_lists"][1]["valid_to"] = "2025-01-01T00:00:00Z"; },
               "price_lists[1].valid_to: is not after valid_from");
  expect_error([](TempDir&, json& c) { c["roles"][0]["approver"] = "ceo"; }, "tailor.json: roles[0].approver: unknown role 'ceo'");
  expect_error([](TempDir&, json& c) { c["roles"][1]["spending_limit"] = -1; }, "roles[1].spending_limit: must be >= 0");
  expect_error([](TempDir&, json& c) { c["tenant"]["currency"] = "dollars"; }, "tenant.currency: 'dollars' is not an ISO 4217");
}

TEST_CASE("b2b snapshot open rejects a cyclic or out-of-range account hierarchy") {
  auto build = [](int32_t parent_of_a, int32_t parent_of_b, bool sorted) {
    flatbuffers::FlatBufferBuilder fbb;
    auto ids = fbb.CreateVectorOfStrings(std::vector<std::string>{"i0"});
    auto items = fb::CreateItems(fbb, ids);
    auto tid = fbb.CreateString("t");
    auto tenant = fb::CreateTenant(fbb, tid);
    auto a = fbb.CreateString(sorted ? "a" : "b");
    auto b = fbb.CreateString(sorted ? "b" : "a");
    std::vector<flatbuffers::Offset<fb::Account>> accs{fb::CreateAccount(fbb, a, 0, parent_of_a),
                                                       fb::CreateAccount(fbb, b, 0, parent_of_b)};
    auto accounts = fbb.CreateVector(accs);
    auto version = fbb.CreateString("v");
    fb::SnapshotBuilder sb(fbb);
    sb.add_version(version);
    sb.add_tenant(tenant);
    sb.add_items(items);
    sb.add_accounts(accounts);
    fb::FinishSnapshotBuffer(fbb, sb.Finish());
    return tailor::test::Bytes(fbb.GetBufferPointer(), fbb.GetSize());
  };
  auto ok = build(-1, 0, true);
  CHECK(Snapshot::open(ok.span()).ok());
  auto cyclic = build(1, 0, true);
  auto r = Snapshot::open(cyclic.span());
  CHECK(r.status().code() == Code::kSnapshotInvalid);
  CHECK(r.status().message().find("account 'a' hierarchy deeper than 32 levels or cyclic") != std::string::npos);
  auto range = build(7, -1, true);
  CHECK(Snapshot::open(range.span()).status().message().find("account 'a' parent index") != std::string::npos);
  auto unsorted = build(-1, -1, false);
  CHECK(Snapshot::open(unsorted.span()).status().message().find("accounts not sorted") != std::string::npos);
}

TEST_CASE("b2b accounts in targeting conditions: account.id and account.ancestors") {
  json c = b2b_config();
  c["segments"] = json::parse(R"([{"id":"gold","condition":{"or":[{"in":["co",{"var":"account.ancestors"}]},
                                                                  {"==":[{"var":"context.tier"},"gold"]}]}},
                                  {"id":"other-acct","condition":{"==":[{"var":"account.id"},"other"]}}])");
  B2BEngine e(c);
  CHECK(e.decide({{"account", "cc"}})["segments"] == json::array({"gold"}));   // cc -> div -> co
  CHECK(e.decide({{"account", "co"}})["segments"] == json::array());           // not its own ancestor
  CHECK(e.decide({{"account", "other"}})["segments"] == json::array({"other-acct"}));
  // A segment decided by a condition scopes price lists like a listed one: hat from the gold list
  // (segment level, before the site's own list).
  json d = e.decide(json::parse(R"({"site":"us","context":{"tier":"gold"}})"));
  CHECK(d["segments"] == json::array({"gold"}));
  CHECK(item_of(d, "hat")["price_source"]["list"] == "gold");
  CHECK(item_of(e.decide(json::parse(R"({"site":"us"})")), "hat")["price_source"]["list"] == "us");
}

TEST_CASE("b2b build: progress covers every source and the summary counts each section") {
  TempDir dir;
  write_b2b_fixture(dir);
  dir.write("brands.csv", "id,name\nacme,Acme\n");
  dir.write("stock.csv", "id,stock\nbolt,5\nnut,0\n");
  dir.write("segments.csv", "id\nsilver\n");
  dir.write("overrides.csv", "item,site,title\nbolt,eu,Schraube\n");
  json c = b2b_config();
  c["brands"] = {{"path", "brands.csv"}};
  c["inventory"] = {{"path", "stock.csv"}};
  c["segments_source"] = {{"path", "segments.csv"}};
  c["site_overrides"] = {{"path", "overrides.csv"}};
  BuildOptions opts;
  opts.config_path = dir.write("tailor.json", c.dump());
  std::vector<std::string> stages;
  std::map<std::string, uint64_t> last;
  opts.progress = [&](std::string_view stage, uint64_t n) {
    if (stages.empty() || stages.back() != stage) stages.emplace_back(stage);
    last[std::string(stage)] = n;
  };
  BuiltSnapshot snap;
  ErrorList errors;
  bool ok = build_snapshot(opts, snap, errors);
  INFO(joined(errors));
  REQUIRE(ok);
  CHECK(stages == std::vector<std::string>{"segments", "categories", "brands", "items", "inventory", "accounts",
                                           "price lists", "site overrides"});
  CHECK(last == std::map<std::string, uint64_t>{{"segments", 1}, {"categories", 5}, {"brands", 1}, {"items", 6},
                                                {"inventory", 2}, {"accounts", 4}, {"price lists", 14},
                                                {"site overrides", 1}});
  // What `tailor build` prints (text and --json).
  CHECK(snap.items == 6);
  CHECK(snap.categories == 5);
  CHECK(snap.brands == 1);
  CHECK(snap.segments == 2);
  CHECK(snap.accounts == 4);
  CHECK(snap.price_lists == 8);
  CHECK(snap.prices == 14);
  CHECK(snap.inventory == 2);
}
