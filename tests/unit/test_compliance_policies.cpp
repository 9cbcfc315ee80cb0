// Compliance policies end to end: config -> tailor build -> engine decision. Each policy kind
// removes what it covers (categories with their descendants), no rule brings an item back, the
// slot lists every policy in effect with its count, and bad policies fail the build with a
// located message.
#include <doctest/doctest.h>

#include <algorithm>

#include "fixture.h"
#include "tailor/engine.h"
#include "policies.h"
#include "tailor/policy.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
namespace st = tailor::sync::test;
namespace ct = tailor::test;
using st::TempDir;
using st::BuildRun;
using st::build_in;
using st::joined;
using st::has_error;
using nlohmann::json;

namespace {

constexpr const char* kCategories =
    "id,name,parent\n"
    "health,Health,\n"
    "rx,Prescription,health\n"
    "vitamins,Vitamins,health\n"
    "beauty,Beauty,\n"
    "drinks,Drinks,\n";

constexpr const char* kItems =
    "id,title,category,popularity\n"
    "rx1,Statin,rx,100\n"
    "rx2,Antibiotic,rx,90\n"
    "vit1,Vitamin D,vitamins,80\n"
    "wine,Red wine,drinks,70\n"
    "cbd,CBD oil,beauty,60\n"
    "soap,Soap,beauty,50\n";

json base_config() {
  return json::parse(R"({
    "schema": 1,
    "tenant": {"id": "pharma"},
    "version": "p1",
    "built_at": "2026-11-01T00:00:00Z",
    "categories": {"path": "categories.csv"},
    "items": {"path": "items.csv"},
    "strategies": [{"id": "s", "terms": [
      {"kind": "popularity"}, {"kind": "category_affinity", "weight": 2}]}],
    "slots": [{"id": "all", "strategy": "s", "size": 10}],
    "policies": [
      {"id": "rx-licence", "kind": "licence", "licence": "prescription", "categories": ["rx"]},
      {"id": "wine-18", "kind": "min_age", "min_age": 18, "items": ["wine"]},
      {"id": "cbd-place", "kind": "jurisdiction", "never_in": ["FR", "DE-BY"], "items": ["cbd"]},
      {"id": "health-consent", "kind": "consent", "purpose": "health_data", "categories": ["health"]}
    ]
  })");
}

using Built = st::BuiltEngine;

void build(Built& b, const json& cfg) { st::build_and_load(b, cfg, {{"categories.csv", kCategories}, {"items.csv", kItems}}); }

json run_decide(Built& b, const std::string& request, const ct::Bytes* profile = nullptr) {
  Status st = b.engine.decide(request, profile ? profile->span() : std::span<const uint8_t>());
  INFO(st.message());
  REQUIRE(st.ok());
  return json::parse(b.engine.output());
}

std::vector<std::string> slot_ids(const json& d) {
  std::vector<std::string> out;
  for (const json& it : d["slots"][0]["items"]) out.push_back(it["id"]);
  return out;
}

// slot policies[] as "id:removed" strings.
std::vector<std::string> applied(const json& d) {
  std::vector<std::string> out;
  for (const json& p : d["slots"][0]["policies"]) out.push_back(p["id"].get<std::string>() + ":" + p["removed"].dump());
  return out;
}

using V = std::vector<std::string>;

std::string expect_build_error(const std::function<void(json&)>& edit, const std::string& needle) {
  TempDir dir;
  dir.write("categories.csv", kCategories);
  dir.write("items.csv", kItems);
  json cfg = base_config();
  edit(cfg);
  return check_build_failed(build_in(dir, cfg), needle);
}

}  // namespace

TEST_CASE("compliance: without facts every policy fails closed and is counted") {
  Built b;
  build(b, base_config());
  json d = run_decide(b, R"({"slots": ["all"]})");
  CHECK(slot_ids(d) == V{"vit1", "soap"});
  CHECK(applied(d) == V{"rx-licence:2", "wine-18:1", "cbd-place:1", "health-consent:0"});
  CHECK(d["slots"][0]["filtered"]["policy"] == 4);
  CHECK(d["slots"][0]["policies"][0]["kind"] == "licence");
  CHECK(d["slots"][0]["policies"][3]["profile_off"] == 0);
}

TEST_CASE("compliance: a visitor who satisfies every policy sees everything") {
  Built b;
  build(b, base_config());
  json d = run_decide(b, R"({"slots": ["all"], "country": "DE", "region": "DE-BE", "age": 30,
                        "licences": ["prescription"], "consent": ["personalization", "health_data"]})");
  CHECK(slot_ids(d) == V{"rx1", "rx2", "vit1", "wine", "cbd", "soap"});
  CHECK(d["slots"][0]["policies"] == json::array());
  CHECK_FALSE(d["slots"][0]["filtered"].contains("policy"));
}

TEST_CASE("compliance: minimum age and licence") {
  Built b;
  build(b, base_config());
  auto has = [](const json& d, const std::string& id) {
    V ids = slot_ids(d);
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  CHECK_FALSE(has(run_decide(b, R"({"slots": ["all"], "country": "US", "age": 17})"), "wine"));
  CHECK(has(run_decide(b, R"({"slots": ["all"], "country": "US", "age": 18})"), "wine"));
  CHECK_FALSE(has(run_decide(b, R"({"slots": ["all"], "country": "US", "licences": ["pharmacist"]})"), "rx1"));
  json d = run_decide(b, R"({"slots": ["all"], "country": "US", "licences": ["pharmacist", "prescription"]})");
  CHECK(has(d, "rx1"));
  CHECK(has(d, "rx2"));
}

TEST_CASE("compliance: jurisdiction by country and region, failing closed on unknown places") {
  Built b;
  build(b, base_config());
  auto cbd_shown = [&](const std::string& facts) {
    V ids = slot_ids(run_decide(b, R"({"slots": ["all"])" + facts + "}"));
    return std::find(ids.begin(), ids.end(), "cbd") != ids.end();
  };
  CHECK(cbd_shown(R"(, "country": "US")"));
  CHECK(cbd_shown(R"(, "country": "DE", "region": "DE-BE")"));
  CHECK(cbd_shown(R"(, "region": "DE-BE")"));           // country taken from the region
  CHECK_FALSE(cbd_shown(R"(, "country": "FR")"));
  CHECK_FALSE(cbd_shown(R"(, "region": "DE-BY")"));
  CHECK_FALSE(cbd_shown(R"(, "country": "DE")"));       // region unknown: might be Bavaria
  CHECK_FALSE(cbd_shown(""));                          // country unknown

  // only_in: allowed in the listed places only.
  json cfg = base_config();
  cfg["policies"] = json::parse(R"([{"id": "soap-eu", "kind": "jurisdiction", "only_in": ["AT", "DE-BE"], "items": ["soap"]}])");
  Built o;
  build(o, cfg);
  auto soap_shown = [&](const std::string& facts) {
    V ids = slot_ids(run_decide(o, R"({"slots": ["all"])" + facts + "}"));
    return std::find(ids.begin(), ids.end(), "soap") != ids.end();
  };
  CHECK(soap_shown(R"(, "country": "AT")"));
  CHECK(soap_shown(R"(, "region": "DE-BE")"));
  CHECK_FALSE(soap_shown(R"(, "country": "DE")"));
  CHECK_FALSE(soap_shown(R"(, "region": "DE-BY")"));
  CHECK_FALSE(soap_shown(R"(, "country": "US")"));
}

TEST_CASE("compliance: no pin, boost or request list brings a forbidden item back") {
  json cfg = base_config();
  cfg["slots"].push_back(json::parse(R"({"id": "compare", "strategy": "s", "source": {"kind": "request"}})"));
  cfg["rules"] = json::parse(R"([
    {"id": "pin-rx1", "action": "pin", "position": 1, "match": {"items": ["rx1"]}},
    {"id": "boost-wine", "action": "boost", "amount": 100, "match": {"items": ["wine"]}}])");
  Built b;
  build(b, cfg);
  json d = run_decide(b, R"({"slots": ["all", {"id": "compare", "items": ["rx1", "wine", "soap"]}], "country": "US"})");
  CHECK(slot_ids(d) == V{"vit1", "cbd", "soap"});
  V compare;
  for (const json& it : d["slots"][1]["items"]) compare.push_back(it["id"]);
  CHECK(compare == V{"soap"});
  CHECK(d["slots"][1]["filtered"]["policy"] == 2);

  // With the licence, the pin takes its place again: the filter was the only thing in the way.
  d = run_decide(b, R"({"slots": ["all"], "country": "US", "licences": ["prescription"]})");
  CHECK(slot_ids(d).front() == "rx1");
  CHECK(d["slots"][0]["items"][0]["pinned"] == "pin-rx1");
}

TEST_CASE("compliance: a category policy covers its descendants") {
  json cfg = base_config();
  cfg["policies"] = json::parse(
      R"([{"id": "health-gate", "kind": "consent", "purpose": "health_data", "effect": "filter", "categories": ["health"]}])");
  Built b;
  build(b, cfg);
  json d = run_decide(b, R"({"slots": ["all"], "consent": ["personalization"]})");
  CHECK(slot_ids(d) == V{"wine", "cbd", "soap"});
  CHECK(applied(d) == V{"health-gate:3"});
  d = run_decide(b, R"({"slots": ["all"], "consent": ["health_data"]})");
  CHECK(slot_ids(d).size() == 6);
}

TEST_CASE("compliance: without its consent purpose a health item is scored without profile terms") {
  json cfg = base_config();
  cfg["policies"] = json::parse(R"([{"id": "health-consent", "kind": "consent", "purpose": "health_data", "categories": ["health"]}])");
  Built b;
  build(b, cfg);
  ct::ProfileSpec ps;
  ps.tenant = "pharma";
  ps.categories = {{"vitamins", 1.0f}, {"beauty", 0.5f}};
  ct::Bytes profile = ct::build_profile(ps);

  json d = run_decide(b, R"({"slots": ["all"], "consent": ["personalization"]})", &profile);
  json vit = ct::item(d, "vit1"), soap = ct::item(d, "soap");
  CHECK(vit["explain"]["profile_off_by"] == "health-consent");
  CHECK(ct::term(vit, "category_affinity").is_null());
  CHECK(ct::num(vit["score"]) == doctest::Approx(ct::num(ct::term(vit, "popularity")["contribution"])));
  CHECK(ct::num(ct::term(soap, "category_affinity")["contribution"]) == doctest::Approx(1.0));  // 2 x 0.5
  CHECK(d["slots"][0]["policies"][0]["profile_off"] == 3);

  d = run_decide(b, R"({"slots": ["all"], "consent": ["personalization", "health_data"]})", &profile);
  vit = ct::item(d, "vit1");
  CHECK_FALSE(vit["explain"].contains("profile_off_by"));
  CHECK(ct::num(ct::term(vit, "category_affinity")["contribution"]) == doctest::Approx(2.0));
  CHECK(d["slots"][0]["policies"] == json::array());
  CHECK(slot_ids(d).front() == "vit1");
}

TEST_CASE("compliance: request facts are validated and named") {
  Built b;
  build(b, base_config());
  auto status = [&](const std::string& req) { return b.engine.decide(req, {}); };
  Status st = status(R"({"slots": ["all"], "country": "de"})");
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(st.message().find("request.country") != std::string::npos);
  st = status(R"({"slots": ["all"], "country": "FR", "region": "DE-BY"})");
  CHECK(st.message().find("request.region: 'DE-BY' is not in country 'FR'") != std::string::npos);
  st = status(R"({"slots": ["all"], "region": "Bavaria"})");
  CHECK(st.message().find("request.region") != std::string::npos);
  st = status(R"({"slots": ["all"], "age": -1})");
  CHECK(st.message().find("request.age") != std::string::npos);
  st = status(R"({"slots": ["all"], "age": 17.5})");
  CHECK(st.message().find("request.age") != std::string::npos);
  st = status(R"({"slots": ["all"], "licences": "prescription"})");
  CHECK(st.message().find("request.licences") != std::string::npos);
}

TEST_CASE("compliance: bad policies fail the build with a located message") {
  expect_build_error([](json& c) { c["policies"][0]["categories"][0] = "rxx"; },
                     "tailor.json: policies[0].categories[0]: unknown category 'rxx'");
  expect_build_error([](json& c) { c["policies"][1]["items"][0] = "beer"; },
                     "tailor.json: policies[1].items[0]: unknown item 'beer'");
  expect_build_error([](json& c) { c["policies"][2]["never_in"][0] = "XX"; },
                     "tailor.json: policies[2].never_in[0]: 'XX' is not an ISO 3166-1 alpha-2 country code");
  expect_build_error([](json& c) { c["policies"][2]["never_in"][0] = "fr"; },
                     "tailor.json: policies[2].never_in[0]: 'fr' is not an ISO 3166-1 alpha-2 country code");
  expect_build_error([](json& c) { c["policies"][2]["never_in"][1] = "DE-Bavaria"; },
                     "tailor.json: policies[2].never_in[1]: 'DE-Bavaria' is not an ISO 3166-1 alpha-2 country or ISO 3166-2 region code");
  expect_build_error([](json& c) { c["policies"][0]["kind"] = "licenses"; },
                     "tailor.json: policies[0].kind: unknown policy kind 'licenses' (expected one of: jurisdiction, min_age, licence, consent, segment)");
  expect_build_error([](json& c) { c["policies"][0]["min_age"] = 18; },
                     "tailor.json: policies[0].min_age: only min_age policies take min_age");
  expect_build_error([](json& c) { c["policies"][1].erase("min_age"); }, "tailor.json: policies[1].min_age: is required");
  expect_build_error([](json& c) { c["policies"][1].erase("items"); },
                     "tailor.json: policies[1]: a policy needs items, categories or match to apply to");
  expect_build_error([](json& c) { c["policies"][3]["effect"] = "hide"; },
                     "tailor.json: policies[3].effect: unknown effect 'hide'");
  expect_build_error([](json& c) { c["policies"][1]["id"] = "rx-licence"; }, "policies[1].id");
}

TEST_CASE("compliance: conflicting policies fail the build") {
  // One policy: the same place allowed only and never.
  expect_build_error([](json& c) { c["policies"][2]["only_in"] = json::array({"DE-BY"}); c["policies"][2]["never_in"] = json::array({"DE"}); },
                     "tailor.json: policies[2].never_in[0]: conflicting policy: 'DE' is never allowed here but policies[2].only_in[0] allows only 'DE-BY'");
  // Two policies on the same category: only in DE and never in DE.
  expect_build_error([](json& c) {
    c["policies"].push_back(json::parse(R"({"id": "rx-de", "kind": "jurisdiction", "only_in": ["DE"], "categories": ["rx"]})"));
    c["policies"].push_back(json::parse(R"({"id": "rx-not-de", "kind": "jurisdiction", "never_in": ["DE"], "categories": ["rx", "beauty"]})"));
  }, "tailor.json: policies[5]: conflicting policies: policies[4] ('rx-de') and this one both cover category 'rx'; allows only 'DE' there and never 'DE' here");
  // Two only_in lists with no place in common.
  expect_build_error([](json& c) {
    c["policies"].push_back(json::parse(R"({"id": "a", "kind": "jurisdiction", "only_in": ["AT"], "items": ["soap"]})"));
    c["policies"].push_back(json::parse(R"({"id": "b", "kind": "jurisdiction", "only_in": ["CH"], "items": ["soap"]})"));
  }, "share no place");
  // Contradictory duplicates.
  expect_build_error([](json& c) {
    c["policies"].push_back(json::parse(R"({"id": "wine-21", "kind": "min_age", "min_age": 21, "items": ["wine"]})"));
  }, "tailor.json: policies[4]: conflicting policies: policies[1] ('wine-18') and this one both cover item 'wine'; contradictory duplicate: min_age 18 there and 21 here");
  expect_build_error([](json& c) {
    c["policies"].push_back(json::parse(R"({"id": "h2", "kind": "consent", "purpose": "health_data", "effect": "filter", "categories": ["health"]})"));
  }, "contradictory duplicate: purpose 'health_data' with effect profile_off there and filter here");
}

TEST_CASE("compliance: policies that can both hold build fine") {
  json cfg = base_config();
  // A stricter age for a different item, a second licence on the same category, and a
  // country-wide allow with a regional exception.
  cfg["policies"].push_back(json::parse(R"({"id": "cbd-16", "kind": "min_age", "min_age": 16, "items": ["cbd"]})"));
  cfg["policies"].push_back(json::parse(R"({"id": "rx-pharm", "kind": "licence", "licence": "pharmacist", "categories": ["rx"]})"));
  cfg["policies"].push_back(json::parse(R"({"id": "soap-de", "kind": "jurisdiction", "only_in": ["DE"], "never_in": ["DE-BY"], "items": ["soap"]})"));
  Built b;
  build(b, cfg);
  json d = run_decide(b, R"({"slots": ["all"], "region": "DE-HH", "age": 40, "licences": ["prescription"]})");
  V ids = slot_ids(d);
  CHECK(std::find(ids.begin(), ids.end(), "rx1") == ids.end());  // both licences needed
  CHECK(std::find(ids.begin(), ids.end(), "soap") != ids.end());
  d = run_decide(b, R"({"slots": ["all"], "region": "DE-BY", "age": 40})");
  ids = slot_ids(d);
  CHECK(std::find(ids.begin(), ids.end(), "soap") == ids.end());
}

TEST_CASE("compliance: country and region code shapes") {
  CHECK(is_country_code("DE"));
  CHECK_FALSE(is_country_code("de"));
  CHECK_FALSE(is_country_code("DEU"));
  CHECK(is_region_code("DE-BY"));
  CHECK(is_region_code("FR-75C"));
  CHECK(is_region_code("GB-ENG"));
  CHECK_FALSE(is_region_code("DE-"));
  CHECK_FALSE(is_region_code("DE-BYXX"));
  CHECK_FALSE(is_region_code("DE_BY"));
  CHECK(iso_country("DE"));
  CHECK(iso_country("ZW"));
  CHECK_FALSE(iso_country("XX"));
  CHECK_FALSE(iso_country("UK"));
  CHECK(policy_kind("jurisdiction") == PolicyKind::kJurisdiction);
  CHECK(policy_kind("new-kind") == PolicyKind::kUnknown);
}

TEST_CASE("compliance: categories never recommended to a segment") {
  json cfg = base_config();
  cfg["segments"] = json::parse(R"([{"id": "minors"}, {"id": "vip"}])");
  cfg["policies"] = json::parse(R"([{"id": "no-drinks-minors", "kind": "segment", "segments": ["minors"], "categories": ["drinks"]}])");
  Built b;
  build(b, cfg);
  json d = run_decide(b, R"({"slots": ["all"], "segments": ["minors"]})");
  V ids = slot_ids(d);
  CHECK(std::find(ids.begin(), ids.end(), "wine") == ids.end());
  CHECK(applied(d) == V{"no-drinks-minors:1"});
  d = run_decide(b, R"({"slots": ["all"], "segments": ["vip"]})");
  ids = slot_ids(d);
  CHECK(std::find(ids.begin(), ids.end(), "wine") != ids.end());
  CHECK(d["slots"][0]["policies"] == json::array());

  expect_build_error([](json& c) {
    c["policies"] = json::parse(R"([{"id": "x", "kind": "segment", "segments": ["teens"], "categories": ["drinks"]}])");
  }, "tailor.json: policies[0].segments[0]: unknown segment 'teens'");
}

TEST_CASE("compliance: a policy with a condition applies only when it holds, and fails closed on an error") {
  json cfg = base_config();
  cfg["policies"] = json::parse(R"([
    {"id": "wine-18-eu", "kind": "min_age", "min_age": 18, "items": ["wine"],
     "condition": {"in": [{"var": "country"}, ["DE", "FR"]]}},
    {"id": "cbd-licence-broken", "kind": "licence", "licence": "cbd", "items": ["cbd"],
     "condition": {"missing_some": [1, {"var": "context.missing"}]}}])");
  Built b;
  build(b, cfg);
  // Condition false: the policy is not in effect and not listed.
  json us = run_decide(b, R"({"slots": ["all"], "country": "US"})");
  const V shown = slot_ids(us);
  CHECK(std::count(shown.begin(), shown.end(), "wine") == 1);
  // The erroring condition keeps its policy in effect (a compliance filter is never disabled by
  // an error), and the error is reported.
  CHECK(applied(us) == V{"cbd-licence-broken:1"});
  REQUIRE(us["condition_errors"].size() == 1);
  CHECK(us["condition_errors"][0]["of"] == "policy");
  CHECK(us["condition_errors"][0]["id"] == "cbd-licence-broken");
  // Condition true: the policy decides as its kind says (no age: fail closed).
  json de = run_decide(b, R"({"slots": ["all"], "country": "DE"})");
  CHECK(applied(de) == V{"wine-18-eu:1", "cbd-licence-broken:1"});
  json adult = run_decide(b, R"({"slots": ["all"], "country": "DE", "age": 30})");
  CHECK(applied(adult) == V{"cbd-licence-broken:1"});
  // Policy conditions are feature level 3: a level-2 engine would apply them always.
  CHECK(fb::GetSnapshot(b.run.snap.bytes.data())->min_engine() == kFeatureLevelPolicyConditions);
}

TEST_CASE("compliance: a bad policy condition fails the build at its path") {
  expect_build_error([](json& c) { c["policies"][0]["condition"] = json::parse(R"({"nope": [1]})"); },
                     "policies[0].condition: unknown operator 'nope'");
  expect_build_error(
      [](json& c) { c["policies"][0]["condition"] = json::parse(R"({"in": ["vip", {"var": "segments"}]})"); },
      "unknown segment 'vip'");
}
