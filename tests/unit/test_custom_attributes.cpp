// Tenant-declared custom attributes (docs/config.md#attributes): typed declarations on items and
// accounts, located errors for bad declarations and for values of the wrong type, and their use in
// terms, rule matches and policy targets.
#include <doctest/doctest.h>

#include "tailor/engine.h"
#include "tailor/snapshot.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;
using nlohmann::json;

namespace {

void attrs_fixture(const TempDir& dir) {
  dir.write("items.csv",
            "id,title,category,price,popularity,cost,grade,labels\n"
            "i1,One,c,10,10,4,a,eco|new\n"
            "i2,Two,c,20,20,15,b,new\n"
            "i3,Three,c,30,30,,a,\n"
            "i4,Four,c,40,40,39,c,eco\n");
  dir.write("accounts.csv",
            "id,tier,employees,regions\n"
            "zeta,gold,1200,eu|us\n"
            "alpha,silver,,eu\n"
            "mid,gold,40,\n");
}

json config() {
  return json::parse(R"({
    "schema": 1,
    "tenant": {"id": "attrs", "currency": "EUR"},
    "built_at": 1767225600,
    "items": {"path": "items.csv"},
    "accounts": {"path": "accounts.csv"},
    "attributes": [
      {"name": "cost", "type": "number", "on": "items"},
      {"name": "grade", "type": "categorical"},
      {"name": "labels", "type": "tags", "on": "items"},
      {"name": "tier", "type": "categorical", "on": "accounts"},
      {"name": "headcount", "type": "number", "on": "accounts", "column": "employees"},
      {"name": "regions", "type": "tags", "on": "accounts"}
    ],
    "strategies": [{"id": "cheap", "terms": [{"kind": "attribute", "attribute": "cost", "weight": -1}]}],
    "slots": [{"id": "all", "strategy": "cheap", "size": 10}],
    "rules": [{"id": "boost-eco", "action": "boost", "amount": 5, "match": {"attribute": "labels", "values": ["eco"]}}],
    "policies": [{"id": "grade-c-adults", "kind": "min_age", "min_age": 18, "match": {"attribute": "grade", "values": ["c"]}},
                 {"id": "costly-licence", "kind": "licence", "licence": "trade", "match": {"number": {"attribute": "cost", "min": 15}}}]
  })");
}

const fb::Attribute* find(const flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>* v, std::string_view name) {
  if (v)
    for (const fb::Attribute* a : *v)
      if (sv(a->name()) == name) return a;
  return nullptr;
}

}  // namespace

TEST_CASE("custom attributes: items and accounts columns, typed and marked custom") {
  TempDir dir;
  attrs_fixture(dir);
  BuildRun run = build_in(dir, config());
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  auto snap = Snapshot::open(run.snap.bytes);
  REQUIRE(snap.ok());
  const fb::Snapshot& root = snap->root();
  const fb::Attribute* cost = find(root.items()->attributes(), "cost");
  REQUIRE(cost != nullptr);
  CHECK(cost->custom());
  CHECK(cost->type() == fb::AttributeType::Number);
  CHECK(find(root.items()->attributes(), "tier") == nullptr);  // an account attribute is not an item column
  // Accounts are sorted by id (alpha, mid, zeta): their attribute rows follow.
  REQUIRE(root.accounts()->size() == 3);
  CHECK(sv(root.accounts()->Get(0)->id()) == "alpha");
  const fb::Attribute* tier = find(root.account_attributes(), "tier");
  const fb::Attribute* headcount = find(root.account_attributes(), "headcount");
  const fb::Attribute* regions = find(root.account_attributes(), "regions");
  REQUIRE(tier != nullptr);
  REQUIRE(headcount != nullptr);
  REQUIRE(regions != nullptr);
  CHECK(tier->custom());
  CHECK(sv(tier->dict()->Get(tier->codes()->Get(0))) == "silver");
  CHECK(sv(tier->dict()->Get(tier->codes()->Get(2))) == "gold");
  CHECK(std::isnan(headcount->numbers()->Get(0)));
  CHECK(headcount->numbers()->Get(1) == 40);
  CHECK(headcount->numbers()->Get(2) == 1200);
  // regions: alpha {eu}, mid {}, zeta {eu, us}
  CHECK(regions->offsets()->Get(1) - regions->offsets()->Get(0) == 1);
  CHECK(regions->offsets()->Get(2) - regions->offsets()->Get(1) == 0);
  CHECK(regions->offsets()->Get(3) - regions->offsets()->Get(2) == 2);
}

TEST_CASE("custom attributes: usable in terms, rule matches and policy targets") {
  TempDir dir;
  attrs_fixture(dir);
  BuildRun run = build_in(dir, config());
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  Engine e;
  REQUIRE(e.load_snapshot(run.snap.bytes).ok());
  // An adult with the trade licence sees everything: eco items boosted, then cheapest first by cost.
  REQUIRE(e.decide(R"({"age": 30, "licences": ["trade"], "slots": ["all"]})", {}).ok());
  json d = json::parse(e.output());
  std::vector<std::string> ids;
  for (const json& i : d["slots"][0]["items"]) ids.push_back(i["id"]);
  CHECK(ids == std::vector<std::string>{"i1", "i4", "i3", "i2"});
  // Without age and licence the grade-c and cost >= 15 policies remove i4 and i2.
  REQUIRE(e.decide(R"({"slots": ["all"]})", {}).ok());
  d = json::parse(e.output());
  ids.clear();
  for (const json& i : d["slots"][0]["items"]) ids.push_back(i["id"]);
  CHECK(ids == std::vector<std::string>{"i1", "i3"});
  CHECK(d["slots"][0]["filtered"]["policy"] == 2);
}

TEST_CASE("custom attributes: located errors for declarations and row values") {
  TempDir dir;
  attrs_fixture(dir);
  json c = config();
  c["attributes"][0]["type"] = "money";
  c["attributes"][1]["on"] = "visitors";
  c["attributes"].push_back({{"name", "tier"}, {"type", "number"}, {"on", "accounts"}});
  c["attributes"].push_back({{"name", "tier"}, {"type", "number"}});  // an item attribute may share a name
  BuildRun run = build_in(dir, c);
  CHECK_FALSE(run.ok);
  INFO(joined(run.errors));
  CHECK(has_error(run.errors, "tailor.json: attributes[0].type: unknown type 'money' (expected one of: number, categorical, tags)"));
  CHECK(has_error(run.errors, "tailor.json: attributes[1].on: unknown owner 'visitors' (expected one of: items, accounts, profiles)"));
  CHECK(has_error(run.errors, "tailor.json: attributes[6].name: duplicate"));
  CHECK_FALSE(has_error(run.errors, "attributes[7]"));

  c = config();
  c.erase("accounts");
  run = build_in(dir, c);
  CHECK(has_error(run.errors, "tailor.json: attributes[3].on: attributes on accounts need the accounts source"));

  // Values of the wrong type name the source, row and field.
  dir.write("items.csv",
            "id,title,category,price,popularity,cost,grade,labels\n"
            "i1,One,c,10,10,cheap,a,eco\n"
            "i2,Two,c,20,20,1e999,b,new\n");
  run = build_in(dir, config());
  CHECK_FALSE(run.ok);
  CHECK(has_error(run.errors, "items.csv:2: field 'cost': 'cheap' is not a number"));
  CHECK(has_error(run.errors, "items.csv:3: field 'cost'"));
  attrs_fixture(dir);  // valid items: the accounts source is read (after the catalog)
  dir.write("accounts.csv", "id,tier,employees,regions\nzeta,gold,many,eu\n");
  run = build_in(dir, config());
  CHECK_FALSE(run.ok);
  CHECK(has_error(run.errors, "accounts.csv:2: field 'employees': 'many' is not a number"));

  // A policy match that selects nothing is an error, as a rule value no item has.
  attrs_fixture(dir);
  c = config();
  c["policies"][1]["match"]["number"]["min"] = 1000;
  run = build_in(dir, c);
  CHECK(has_error(run.errors, "tailor.json: policies[1].match: matches no item"));
  c = config();
  c["policies"][0]["match"] = {{"attribute", "cost"}, {"values", {"1"}}};
  run = build_in(dir, c);
  CHECK(has_error(run.errors, "tailor.json: policies[0].match.attribute: attribute 'cost' is number"));
}

TEST_CASE("custom attributes: account attributes are account.<name> in targeting conditions") {
  TempDir dir;
  attrs_fixture(dir);
  json c = config();
  c["rules"].push_back(json::parse(R"({"id": "gold-big", "action": "boost", "amount": 100, "match": {"items": ["i2"]},
    "condition": {"and": [{"==": [{"var": "account.tier"}, "gold"]}, {">": [{"var": "account.headcount"}, 100]},
                          {"in": ["us", {"var": "account.regions"}]}]}})"));
  BuildRun run = build_in(dir, c);
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  Engine e;
  REQUIRE(e.load_snapshot(run.snap.bytes).ok());
  auto first = [&](const std::string& account) {
    std::string req = R"({"age": 30, "licences": ["trade"], "slots": ["all"], "account": ")" + account + R"("})";
    Status st = e.decide(req, {});
    INFO(st.message());
    REQUIRE(st.ok());
    return json::parse(e.output())["slots"][0]["items"][0]["id"].get<std::string>();
  };
  CHECK(first("zeta") == "i2");   // gold, 1200 employees, regions eu|us
  CHECK(first("mid") == "i1");    // gold but 40 employees, no regions
  CHECK(first("alpha") == "i1");  // silver; headcount missing (null)

  // The condition data's own account keys cannot be redeclared.
  c = config();
  c["attributes"].push_back({{"name", "ancestors"}, {"type", "tags"}, {"on", "accounts"}});
  run = build_in(dir, c);
  CHECK(has_error(run.errors, "tailor.json: attributes[6].name: 'ancestors' is a built-in key of account in conditions"));
}
