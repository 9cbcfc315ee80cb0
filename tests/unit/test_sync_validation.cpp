// tailor build refuses bad input and says where: every check has a case that asserts the
// message names the file and line (sources) or the config path (tailor.json).
#include <doctest/doctest.h>

#include "test_sync_helpers.h"

using namespace tailor::sync;
using namespace tailor::sync::test;
using nlohmann::json;

namespace {

// Builds the fixture with `edit` applied to the config; expects failure with `needle` in some
// message, and returns the messages.
std::string expect_error(const std::function<void(json&)>& edit, const std::string& needle,
                         const char* items_csv = nullptr) {
  TempDir dir;
  write_fixture(dir);
  if (items_csv) dir.write("items.csv", items_csv);
  json cfg = fixture_config();
  edit(cfg);
  BuildRun run = build_in(dir, cfg);
  std::string all = joined(run.errors);
  INFO("errors:\n" << all);
  CHECK_FALSE(run.ok);
  CHECK(run.snap.bytes.empty());
  CHECK(has_error(run.errors, needle));
  return all;
}

std::string expect_item_error(const std::string& row, const std::string& needle) {
  std::string csv = kItemsCsv + row + "\n";
  return expect_error([](json&) {}, needle, csv.c_str());
}

}  // namespace

TEST_CASE("sync validation: the fixture itself is valid") {
  TempDir dir;
  write_fixture(dir);
  BuildRun run = build_in(dir, fixture_config());
  INFO(joined(run.errors));
  CHECK(run.ok);
}

TEST_CASE("sync validation: unknown references in the config name their path") {
  auto file = [](const char* path) { return std::string("tailor.json: ") + path; };
  expect_error([](json& c) { c["slots"][0]["strategy"] = "nope"; }, file("slots[0].strategy: unknown strategy 'nope'"));
  expect_error([](json& c) { c["rules"][0]["slots"][1] = "sidebar"; }, file("rules[0].slots[1]: unknown slot 'sidebar'"));
  expect_error([](json& c) { c["rules"][1]["match"]["categories"][0] = "shoez"; },
               file("rules[1].match.categories[0]: unknown category 'shoez'"));
  expect_error([](json& c) { c["rules"][1]["match"]["brands"][0] = "acme"; },
               file("rules[1].match.brands[0]: unknown brand 'acme'"));
  expect_error([](json& c) { c["rules"][1]["sites"][0] = "mars"; }, file("rules[1].sites[0]: unknown site 'mars'"));
  expect_error([](json& c) { c["rules"][2]["match"]["items"][1] = "zz"; }, file("rules[2].match.items[1]: unknown item 'zz'"));
  expect_error([](json& c) { c["slots"][1]["source"]["id"] = "socks"; }, file("slots[1].source.id: unknown category 'socks'"));
  expect_error([](json& c) { c["slots"][2]["source"]["id"] = "faves"; },
               file("slots[2].source.id: unknown collection 'faves'"));
  expect_error([](json& c) { c["collections"][0]["items"][0] = "gone"; },
               file("collections[0].items[0]: unknown item 'gone'"));
  expect_error([](json& c) { c["deny"]["items"][1] = "gone"; }, file("deny.items[1]: unknown item 'gone'"));
  expect_error([](json& c) { c["deny"]["sites"]["moon"] = json::array(); }, file("deny.sites.moon: unknown site 'moon'"));
  expect_error([](json& c) { c["deny"]["sites"]["eu"][0] = "gone"; }, file("deny.sites.eu[0]: unknown item 'gone'"));
  expect_error([](json& c) { c["strategies"][0]["terms"][1]["attribute"] = "stars"; },
               file("strategies[0].terms[1].attribute: unknown attribute 'stars'"));
  expect_error([](json& c) { c["rules"][0]["match"]["values"][0] = "clearance"; },
               file("rules[0].match.values[0]: no item has 'clearance' in attribute 'labels'"));
}

TEST_CASE("sync validation: attributes of the wrong type for a term or rule") {
  expect_error([](json& c) { c["strategies"][0]["terms"][1]["attribute"] = "color"; },
               "tailor.json: strategies[0].terms[1].attribute: attribute 'color' is categorical; an attribute term "
               "needs a number attribute");
  expect_error([](json& c) { c["strategies"][1]["terms"][2]["attribute"] = "rating"; },
               "tailor.json: strategies[1].terms[2].attribute: attribute 'rating' is number; an attribute_affinity "
               "term needs a categorical or tags attribute");
  expect_error([](json& c) { c["rules"][0]["match"]["attribute"] = "rating"; },
               "tailor.json: rules[0].match.attribute: attribute 'rating' is number");
  expect_error([](json& c) { c["rules"][3]["match"]["number"]["attribute"] = "labels"; },
               "tailor.json: rules[3].match.number.attribute: attribute 'labels' is tags; number ranges need a number "
               "attribute");
  expect_error([](json& c) { c["strategies"][0]["terms"][0]["attribute"] = "rating"; },
               "tailor.json: strategies[0].terms[0].attribute: only attribute and attribute_affinity terms take an "
               "attribute");
}

TEST_CASE("sync validation: unknown kinds and actions list the allowed ones") {
  expect_error([](json& c) { c["strategies"][0]["terms"][0]["kind"] = "trending"; },
               "tailor.json: strategies[0].terms[0].kind: unknown term kind 'trending' (expected one of: attribute, "
               "category_affinity, brand_affinity, attribute_affinity, embedding, popularity, recency, plugin)");
  expect_error([](json& c) { c["rules"][0]["action"] = "promote"; },
               "tailor.json: rules[0].action: unknown action 'promote' (expected one of: boost, bury, pin, exclude)");
  expect_error([](json& c) { c["slots"][1]["source"]["kind"] = "brand"; },
               "tailor.json: slots[1].source.kind: unknown source kind 'brand' (expected one of: all, category, "
               "collection, request)");
  expect_error([](json& c) { c["attributes"][0]["type"] = "float"; },
               "tailor.json: attributes[0].type: unknown type 'float' (expected one of: number, categorical, tags)");
  expect_error([](json& c) { c["embedding"]["format"] = "f16"; }, "tailor.json: embedding.format: unknown format 'f16'");
}

TEST_CASE("sync validation: rule and slot numbers") {
  expect_error([](json& c) { c["rules"][2]["position"] = 0; },
               "tailor.json: rules[2].position: 0 is not a position (positions start at 1)");
  expect_error([](json& c) { c["rules"][2]["position"] = -3; }, "tailor.json: rules[2].position: -3 is not a position");
  expect_error([](json& c) { c["rules"][0].erase("amount"); }, "tailor.json: rules[0].amount: is required");
  expect_error([](json& c) { c["rules"][1].erase("amount"); }, "tailor.json: rules[1].amount: is required");
  expect_error([](json& c) { c["rules"][2]["amount"] = 1; }, "tailor.json: rules[2].amount: only boost and bury rules take an amount");
  expect_error([](json& c) { c["rules"][0]["position"] = 1; }, "tailor.json: rules[0].position: only pin rules take a position");
  expect_error([](json& c) { c["slots"][1]["size"] = 7; }, "tailor.json: slots[1].size: size 7 is larger than max_size 6");
  expect_error([](json& c) { c["slots"][0]["size"] = 0; }, "tailor.json: slots[0].size: 0 is out of range 1..65535");
  expect_error([](json& c) { c["strategies"][1]["terms"][4].erase("half_life_days"); },
               "tailor.json: strategies[1].terms[4].half_life_days: is required");
  expect_error([](json& c) { c["strategies"][1]["terms"][4]["half_life_days"] = 0; },
               "tailor.json: strategies[1].terms[4].half_life_days: must be > 0");
  expect_error([](json& c) { c["rules"][0]["match"].erase("values"); }, "tailor.json: rules[0].match.values: is required with attribute");
  expect_error([](json& c) { c["rules"][3]["match"]["number"]["min"] = 5; }, "tailor.json: rules[3].match.number: min is larger than max");
}

TEST_CASE("sync validation: timestamps in the config") {
  expect_error([](json& c) { c["rules"][1]["schedule"]["start"] = "2026-13-01T00:00:00Z"; },
               "tailor.json: rules[1].schedule.start: '2026-13-01T00:00:00Z' is not a timestamp");
  expect_error([](json& c) { c["rules"][1]["schedule"]["end"] = "2025-01-01T00:00:00Z"; },
               "tailor.json: rules[1].schedule: end is not after start");
  expect_error([](json& c) { c["built_at"] = 1763596800000; }, "tailor.json: built_at: 1763596800000 is after the year 9999");
}

TEST_CASE("sync validation: config shape") {
  expect_error([](json& c) { c["slots"][0]["sise"] = 4; }, "tailor.json: slots[0].sise: unknown field");
  expect_error([](json& c) { c["schema"] = 2; }, "tailor.json: schema: config schema 2 is not supported");
  expect_error([](json& c) { c["tenant"]["id"] = "Acme Corp"; }, "tailor.json: tenant.id: 'Acme Corp' is not a tenant id");
  expect_error([](json& c) { c.erase("items"); }, "tailor.json: items: is required");
  expect_error([](json& c) { c["slots"][3]["id"] = "home"; }, "tailor.json: slots[3].id: duplicate id 'home' (also slots[0].id)");
  expect_error([](json& c) { c["strategies"][1]["id"] = "popular"; }, "tailor.json: strategies[1].id: duplicate id 'popular'");
  expect_error([](json& c) { c["slots"][0]["source"] = {{"kind", "all"}, {"id", "x"}}; },
               "tailor.json: slots[0].source.id: source kind 'all' takes no id");
  expect_error([](json& c) { c["items"]["path"] = "items.txt"; }, "tailor.json: items.format: cannot tell the format");
  expect_error([](json& c) { c["collections"][0]["items"][1] = "c3"; },
               "tailor.json: collections[0].items[1]: item 'c3' is listed twice (also collections[0].items[0])");
  json sites = json::array();
  for (int i = 0; i < 65; ++i) sites.push_back({{"id", "s" + std::to_string(i)}});
  expect_error([&](json& c) { c["sites"] = sites; }, "tailor.json: sites: 65 sites, at most 64 are supported");

  TempDir dir;
  BuildRun run = build_in(dir, std::string("{\"schema\": 1,\n \"tenant\": }"));
  CHECK(has_error(run.errors, "tailor.json: invalid JSON at line 2, column"));
}

TEST_CASE("sync validation: item rows report file:line and field") {
  // The fixture has 4 rows (lines 2-5); the appended row is line 6.
  expect_item_error("d4,Delta,running,swift,abc,1,,,,,,,", "items.csv:6: field 'price': 'abc' is not a number");
  CHECK(expect_item_error("d4,Delta,running,swift,-1.25,1,,,,,,,", "items.csv:6: field 'price': must be >= 0")
            .find("items.csv:6: field 'price': must be >= 0, got -1.25\n") != std::string::npos);
  expect_item_error("b2,Again,running,swift,1,1,,,,,,,",
                    "items.csv:6: field 'id': duplicate id 'b2' (first at items.csv:2)");
  expect_item_error(",Nameless,running,swift,1,1,,,,,,,", "items.csv:6: field 'id': is required");
  expect_item_error("d4,Delta,running,swift,1,1,,,,1 2,,,", "items.csv:6: field 'embedding': has 2 numbers, embedding.dim is 3");
  expect_item_error("d4,Delta,running,swift,1,1,,,,1 x 2,,,", "items.csv:6: field 'embedding': element 1 'x' is not a number");
  expect_item_error("d4,Delta,running,swift,1,1,yesterday,,,,,,", "items.csv:6: field 'published_at': 'yesterday' is not a timestamp");
  expect_item_error("d4,Delta,running,swift,1,1,1750000000000,,,,,,", "items.csv:6: field 'published_at': 1750000000000 is after the year 9999");
  expect_item_error("d4,Delta,running,swift,1,1,,2.5,,,,,", "items.csv:6: field 'stock': '2.5' is not an integer");
  expect_item_error("d4,Delta,running,swift,1,1,,,us|mars,,,,", "items.csv:6: field 'sites': unknown site 'mars'");
  expect_item_error("d4,Delta,shoez,swift,1,1,,,,,,,", "items.csv:6: field 'category': unknown category 'shoez'");
  expect_item_error("d4,Delta,running,swift,1,1,,,,,great,,", "items.csv:6: field 'rating': 'great' is not a number");
  expect_item_error("d4,Delta,running,swift,1,1,,,,,,", "items.csv:6: row has 12 fields, the header has 13");
}

TEST_CASE("sync validation: errors are collected, up to 50") {
  std::string csv = kItemsCsv;
  for (int i = 0; i < 70; ++i) csv += "x" + std::to_string(i) + ",X,running,swift,oops,1,,,,,,,\n";
  TempDir dir;
  write_fixture(dir);
  dir.write("items.csv", csv);
  BuildRun run = build_in(dir, fixture_config());
  CHECK_FALSE(run.ok);
  CHECK(run.errors.full());
  REQUIRE(run.errors.messages().size() == 50);
  CHECK(run.errors.messages()[0] == "items.csv:6: field 'price': 'oops' is not a number");
  CHECK(run.errors.messages()[49] == "items.csv:55: field 'price': 'oops' is not a number");
}

TEST_CASE("sync validation: category hierarchy: unknown parents and cycles by name") {
  auto with_categories = [](const char* csv, const std::string& needle) {
    TempDir dir;
    write_fixture(dir);
    dir.write("categories.csv", csv);
    BuildRun run = build_in(dir, fixture_config());
    INFO(joined(run.errors));
    CHECK_FALSE(run.ok);
    CHECK(has_error(run.errors, needle));
    return run.errors.messages().size();
  };
  with_categories("id,parent\nfootwear,\nrunning,footwear\nhiking,footwear\napparel,clothes\n",
                  "categories.csv:5: field 'parent': unknown category 'clothes'");
  // footwear -> running -> hiking -> footwear, reported once.
  size_t n = with_categories("id,parent\nfootwear,hiking\nrunning,footwear\nhiking,running\napparel,\n",
                             "category cycle: footwear -> hiking -> running -> footwear");
  CHECK(n == 1);
  with_categories("id,parent\nfootwear,\nrunning,footwear\nhiking,footwear\napparel,apparel\n",
                  "categories.csv:5: category cycle: apparel -> apparel");
  with_categories("id,parent\nfootwear,\nrunning,footwear\nrunning,\nhiking,\napparel,\n",
                  "categories.csv:4: field 'id': duplicate category 'running' (first at categories.csv:3)");
}

TEST_CASE("sync validation: a missing source file is an I/O error naming it") {
  TempDir dir;
  write_fixture(dir);
  json cfg = fixture_config();
  cfg["brands"] = {{"path", "brands.csv"}};
  BuildRun run = build_in(dir, cfg);
  CHECK_FALSE(run.ok);
  CHECK(run.errors.has_io_error());
  CHECK(has_error(run.errors, "brands.csv: cannot read: no such file"));
}
