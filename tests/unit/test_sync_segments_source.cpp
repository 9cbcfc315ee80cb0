// Segment definitions from a source (`segments_source`, docs/sources.md#segments): files with a
// map, merged after tailor.json's segments, every problem located by source, row and field.
// The PostgreSQL table and query are tests/postgres/sources.sh segments.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "targeting_config.h"
#include "test_sync_helpers.h"

using namespace tailor::sync;
using namespace tailor::sync::test;
using nlohmann::json;

namespace {

// The fixture tenant with `segments` and `segments_source` (null: none) and a rule that only
// fires for the conditional segment "big" (so a reference into the source is resolved too).
json config_with(const json& segments, const json& source) {
  json c = fixture_config();
  c["segments"] = segments;
  if (!source.is_null()) c["segments_source"] = source;
  c["rules"].push_back({{"id", "big-boost"}, {"action", "boost"}, {"amount", 1}, {"match", json::object()},
                        {"condition", {{"in", {"big", {{"var", "segments"}}}}}}});
  return c;
}

const json kAllInConfig = json::parse(R"([
  {"id": "vip", "name": "VIP"},
  {"id": "big", "name": "Big spender", "condition": {"and": [{"in": ["vip", {"var": "segments"}]}, {"==": [{"var": "site"}, "eu"]}]}},
  {"id": "trade"},
  {"id": "night", "condition": {">=": [{"var": "time.hour"}, 22]}}
])");

BuildRun build_dir(const TempDir& dir, const json& config) {
  write_fixture(dir);
  return build_in(dir, config);
}

}  // namespace

TEST_CASE("segments source: CSV, NDJSON and JSON definitions build the snapshot of tailor.json's segments") {
  TempDir expected_dir;
  BuildRun expected = build_dir(expected_dir, config_with(kAllInConfig, nullptr));
  INFO(joined(expected.errors));
  REQUIRE(expected.ok);

  // CSV: the condition is JSON text (quoted per RFC 4180); empty name and condition are absent.
  TempDir csv;
  csv.write("segments.csv",
            "id,name,condition\n"
            "big,Big spender,\"{\"\"and\"\": [{\"\"in\"\": [\"\"vip\"\", {\"\"var\"\": \"\"segments\"\"}]}, "
            "{\"\"==\"\": [{\"\"var\"\": \"\"site\"\"}, \"\"eu\"\"]}]}\"\n"
            "trade,,\n"
            "night,,\"{\"\">=\"\": [{\"\"var\"\": \"\"time.hour\"\"}, 22]}\"\n");
  BuildRun from_csv = build_dir(csv, config_with(json::array({kAllInConfig[0]}), {{"path", "segments.csv"}}));
  INFO(joined(from_csv.errors));
  REQUIRE(from_csv.ok);
  CHECK(from_csv.snap.bytes == expected.snap.bytes);

  // NDJSON with other column names and a structured condition, through a map.
  TempDir nd;
  nd.write("crm.ndjson",
           "{\"code\": \"big\", \"label\": \"Big spender\", \"rule\": " + kAllInConfig[1]["condition"].dump() + "}\n"
           "{\"code\": \"trade\", \"rule\": null}\n"
           "{\"code\": \"night\", \"rule\": \"{\\\">=\\\": [{\\\"var\\\": \\\"time.hour\\\"}, 22]}\"}\n");
  BuildRun from_nd = build_dir(nd, config_with(json::array({kAllInConfig[0]}),
                                               {{"path", "crm.ndjson"},
                                                {"map", {{"id", "code"}, {"name", "label"}, {"condition", "rule"}}}}));
  INFO(joined(from_nd.errors));
  REQUIRE(from_nd.ok);
  CHECK(from_nd.snap.bytes == expected.snap.bytes);

  // JSON array: every segment from the source, none in tailor.json.
  TempDir js;
  js.write("segments.json", kAllInConfig.dump());
  BuildRun from_json = build_dir(js, config_with(json::array(), {{"path", "segments.json"}}));
  INFO(joined(from_json.errors));
  REQUIRE(from_json.ok);
  CHECK(from_json.snap.bytes == expected.snap.bytes);
}

TEST_CASE("segments source: a source segment's condition decides membership like a config one") {
  TempDir dir;
  dir.write("segments.csv", "id,condition\nbig,\"{\"\"in\"\": [\"\"vip\"\", {\"\"var\"\": \"\"segments\"\"}]}\"\n");
  BuildRun run = build_dir(dir, config_with(json::parse(R"([{"id": "vip"}])"), {{"path", "segments.csv"}}));
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  CHECK(decide_built(run, R"({"site":"us","slots":["home"],"segments":["vip"]})")["segments"] ==
        json::parse(R"(["vip","big"])"));
  CHECK(decide_built(run, R"({"site":"us","slots":["home"]})")["segments"] == json::array());
}

TEST_CASE("segments source: bad rows are located by source, row and field") {
  TempDir dir;
  dir.write("segments.csv",
            "id,name,condition\n"
            ",Nameless,\n"                                                        // 2: no id
            "a,,{not json\n"                                                      // 3
            "b,,\"{\"\"foo\"\": [1]}\"\n"                                         // 4: unknown operator
            "c,,\"{\"\"and\"\": [true, {\"\"bar\"\": 1}]}\"\n"                    // 5: nested
            "d,,\"{\"\"in\"\": [\"\"ghost\"\", {\"\"var\"\": \"\"segments\"\"}]}\"\n"  // 6: unknown segment
            "vip,,\n"                                                             // 7: also in tailor.json
            "e,,\n"
            "e,,\n"                                                               // 9: twice in the source
            "f,,\"{\"\"in\"\": [\"\"g\"\", {\"\"var\"\": \"\"segments\"\"}]}\"\n"  // 10: g is decided later
            "g,,\"{\"\"==\"\": [{\"\"var\"\": \"\"site\"\"}, \"\"eu\"\"]}\"\n"
            "h,,\"{\"\"in\"\": [\"\"h\"\", {\"\"var\"\": \"\"segments\"\"}]}\"\n"  // 12: itself
            "big,,\n");
  json c = config_with(json::parse(R"([{"id": "vip"}])"), {{"path", "segments.csv"}});
  std::string all = check_build_failed(build_dir(dir, c), "segments.csv:2: field 'id': is required");
  CHECK(all.find("segments.csv:3: field 'condition': not JSON (") != std::string::npos);
  CHECK(all.find("segments.csv:4: field 'condition': unknown operator 'foo'") != std::string::npos);
  CHECK(all.find("segments.csv:5: field 'condition': and[1]: unknown operator 'bar'") != std::string::npos);
  CHECK(all.find("segments.csv:7: field 'id': duplicate segment 'vip' (also ") != std::string::npos);
  CHECK(all.find("tailor.json: segments[0].id)") != std::string::npos);
  CHECK(all.find("segments.csv:9: field 'id': duplicate segment 'e' (also segments.csv:8)") != std::string::npos);
  // Row errors stop the build before references are checked (a bad row may be the missing id).
  CHECK(all.find("unknown segment") == std::string::npos);

  // With the rows fixed, references: unknown, decided later, itself.
  dir.write("segments.csv",
            "id,condition\n"
            "d,\"{\"\"in\"\": [\"\"ghost\"\", {\"\"var\"\": \"\"segments\"\"}]}\"\n"
            "f,\"{\"\"in\"\": [\"\"g\"\", {\"\"var\"\": \"\"segments\"\"}]}\"\n"
            "g,\"{\"\"==\"\": [{\"\"var\"\": \"\"site\"\"}, \"\"eu\"\"]}\"\n"
            "h,\"{\"\"or\"\": [false, {\"\"in\"\": [\"\"h\"\", {\"\"var\"\": \"\"segments\"\"}]}]}\"\n");
  all = check_build_failed(build_in(dir, c), "segments.csv:2: field 'condition': in[0]: unknown segment 'ghost'");
  CHECK(all.find("segments.csv:3: field 'condition': in[0]: segment 'g' is decided by its condition after this one "
                 "(segments.csv:4)") != std::string::npos);
  CHECK(all.find("segments.csv:5: field 'condition': or[1].in[0]: a segment condition cannot read the segment's own "
                 "membership") != std::string::npos);
  // The rule names "big", which is nowhere now: located in tailor.json.
  CHECK(all.find("tailor.json: rules[5].condition.in[0]: unknown segment 'big'") != std::string::npos);
}

TEST_CASE("segments source: a list or a nested list is not a condition") {
  TempDir dir;
  dir.write("s.ndjson", "{\"id\": \"a\", \"condition\": [1, 2]}\n{\"id\": \"b\", \"condition\": [[1]]}\n{\"id\": \"big\"}\n");
  std::string all = check_build_failed(build_dir(dir, config_with(json::array(), {{"path", "s.ndjson"}})),
                                       "s.ndjson:1: field 'condition': expected JsonLogic (a JSON object or its text), got a list");
  CHECK(all.find("s.ndjson:2: field 'condition': expected JsonLogic") != std::string::npos);
}

TEST_CASE("segments source: missing columns and bad declarations") {
  TempDir dir;
  // A CSV without an id column: every row says so.
  dir.write("segments.csv", "code,name\nbig,Big\n");
  check_build_failed(build_dir(dir, config_with(json::array(), {{"path", "segments.csv"}})),
                     "segments.csv:2: field 'id': is required");
  // A mapped column the source does not have: named before any row is read.
  check_build_failed(build_in(dir, config_with(json::array(), {{"path", "segments.csv"}, {"map", {{"id", "code"}, {"condition", "rule"}}}})),
                     "segments.csv: segments_source.map.condition: unknown column 'rule' (the source has: code, name)");
  check_build_failed(build_in(dir, config_with(json::array(), {{"path", "nope.csv"}})), "nope.csv: cannot read");
  check_build_failed(build_in(dir, config_with(json::array(), {{"path", "segments.csv"}, {"sheet", 1}})),
                     "tailor.json: segments_source.sheet: unknown field");
  check_build_failed(build_in(dir, config_with(json::array(), {{"postgres", {{"dsn_env", "TAILOR_TEST_UNSET_DSN"}, {"table", "segments"}}}})),
                     "tailor.json: segments_source.postgres.dsn_env: environment variable TAILOR_TEST_UNSET_DSN is not set");
}

TEST_CASE("segments source: at most kMaxSegments segments in all") {
  TempDir dir;
  std::string csv = "id\n";
  for (size_t i = 0; i < kMaxSegments; ++i) csv += "s" + std::to_string(i) + "\n";
  dir.write("segments.csv", csv);
  // tailor.json's "big" plus 10,000 rows: the last row is one too many.
  check_build_failed(build_dir(dir, config_with(json::parse(R"([{"id": "big"}])"), {{"path", "segments.csv"}})),
                     "segments.csv:10001: more than 10000 segments (segments and segments_source together)");
}
