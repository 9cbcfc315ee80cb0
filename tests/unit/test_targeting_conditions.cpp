// Targeting conditions: config -> compiled programs in the snapshot -> evaluated once per request
// against the condition data (segments, rules, slots; docs/targeting.md).
#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "tailor/arena.h"
#include "tailor/engine.h"
#include "tailor/request.h"
#include "tailor/snapshot.h"
#include "tailor/targeting.h"
#include "jsonlogic.h"
#include "tailor/expr.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;
using nlohmann::json;

namespace {

// The fixture config with `extra` members replaced and `edit` applied.
template <class Edit>
BuildRun build_edited(const TempDir& dir, Edit edit) {
  write_fixture(dir);
  json c = fixture_config();
  edit(c);
  return build_in(dir, c);
}

BuildRun build_with(const TempDir& dir, const json& extra) {
  return build_edited(dir, [&](json& c) {
    for (auto it = extra.begin(); it != extra.end(); ++it) c[it.key()] = it.value();
  });
}

json decide(const BuildRun& run, const std::string& request) { return decide_built(run, request); }

std::vector<uint8_t> compile(const char* rule) {
  std::vector<uint8_t> out;
  std::string where, why;
  REQUIRE(compile_jsonlogic(json::parse(rule), out, where, why));
  return out;
}

std::vector<std::string> ids(const json& items) {
  std::vector<std::string> out;
  for (const json& i : items) out.push_back(i["id"]);
  return out;
}

}  // namespace

TEST_CASE("targeting conditions: the condition data carries the request facts") {
  TempDir dir;
  auto run = build_with(dir, json::parse(R"({"segments":[{"id":"vip"},{"id":"b2b"}]})"));
  REQUIRE(run.ok);
  auto snap = Snapshot::open(run.snap.bytes);
  REQUIRE(snap.ok());
  auto req = parse_request(R"({"slots":["home"],"site":"eu","user":{"id":"u1"},"region":"DE-BY","age":40,
    "licences":["rx"],"consent":["ads"],"segments":["b2b","nope"],"currency":"EUR","quantity":3,
    "context":{"plan":"gold","cart_value":120.5,"tags":["a","b"]},"now":1764676800})");
  REQUIRE(req.ok());
  Arena arena;
  Targeting t;
  REQUIRE(t.init(snap.value(), req.value(), nullptr, 1764676800, arena).ok());
  const json& d = t.data();
  CHECK(d["now"] == 1764676800);
  CHECK(d["time"] == json::parse(R"({"hour":12,"minute":0,"weekday":2,"date":"2025-12-02"})"));
  CHECK(d["user"] == json::parse(R"({"known":true,"id":"u1"})"));
  CHECK(d["site"] == "eu");
  CHECK(d["country"] == "DE");
  CHECK(d["region"] == "DE-BY");
  CHECK(d["age"] == 40);
  CHECK(d["licences"] == json::parse(R"(["rx"])"));
  CHECK(d["consent"] == json::parse(R"(["ads"])"));
  CHECK(d["segments"] == json::parse(R"(["b2b"])"));
  CHECK(d["currency"] == "EUR");
  CHECK(d["quantity"] == 3);
  CHECK(d["context"]["plan"] == "gold");
  CHECK(d["context"]["tags"].size() == 2);
  CHECK_FALSE(d.contains("profile"));
  CHECK_FALSE(d.contains("account"));

  auto anon = parse_request(R"({"slots":["home"]})");
  REQUIRE(anon.ok());
  Targeting t2;
  REQUIRE(t2.init(snap.value(), anon.value(), nullptr, 0, arena).ok());
  CHECK(t2.data()["user"]["known"] == false);
  CHECK_FALSE(t2.data().contains("age"));
  CHECK(t2.data()["context"] == json::object());
  CHECK(t2.data()["time"]["weekday"] == 4);  // 1970-01-01 was a Thursday
}

TEST_CASE("targeting conditions: condition_true evaluates once per owner and reports errors as false") {
  TempDir dir;
  auto run = build_with(dir, json::object());
  REQUIRE(run.ok);
  auto snap = Snapshot::open(run.snap.bytes);
  REQUIRE(snap.ok());
  auto req = parse_request(R"({"slots":["home"],"country":"FR"})");
  REQUIRE(req.ok());
  Arena arena;
  Targeting t;
  REQUIRE(t.init(snap.value(), req.value(), nullptr, 100, arena).ok());
  auto fr = compile(R"({"==":[{"var":"country"},"FR"]})");
  auto de = compile(R"({"==":[{"var":"country"},"DE"]})");
  CHECK(t.condition_true(ConditionOf::kRule, 0, fr));
  CHECK_FALSE(t.condition_true(ConditionOf::kRule, 1, de));
  CHECK(t.condition_true(ConditionOf::kRule, 0, de));  // cached per (owner, index) for the request
  CHECK(t.condition_true(ConditionOf::kRule, 2, std::span<const uint8_t>{}));  // no program: true
  // A type error (all over null) and a runaway program are false and reported, never fatal.
  auto bad = compile(R"({"missing_some":[1,{"var":"nothing"}]})");
  CHECK_FALSE(t.condition_true(ConditionOf::kSlot, 0, bad));
  auto spin = compile(R"({"some":[{"merge":[[1,2,3,4,5,6,7,8,9,10],[1,2,3,4,5,6,7,8,9,10]]},
                           {"some":[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20],
                                    {"some":[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20],
                                             {"==":[{"var":""},-1]}]}]}]})");
  CHECK_FALSE(t.condition_true(ConditionOf::kSlot, 1, spin));
  REQUIRE(t.errors().size() == 2);
  CHECK(t.errors()[0].of == ConditionOf::kSlot);
  CHECK(t.errors()[1].message.find("step budget") != std::string::npos);
}

TEST_CASE("targeting conditions: segments by condition, in config order") {
  TempDir dir;
  auto run = build_with(dir, json::parse(R"({"segments":[
    {"id":"adult","condition":{">=":[{"var":"age"},18]}},
    {"id":"crm"},
    {"id":"adult-crm","condition":{"and":[{"in":["adult",{"var":"segments"}]},{"in":["crm",{"var":"segments"}]}]}},
    {"id":"gold","condition":{"==":[{"var":"context.plan"},"gold"]}}]})"));
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  CHECK(decide(run, R"({"site":"us","slots":["home"],"age":30,"segments":["crm"]})")["segments"] ==
        json::parse(R"(["adult","crm","adult-crm"])"));
  CHECK(decide(run, R"({"site":"us","slots":["home"],"age":12,"segments":["crm"],"context":{"plan":"gold"}})")["segments"] ==
        json::parse(R"(["crm","gold"])"));
  // Listed OR condition: a listed segment is a member whatever its condition says.
  CHECK(decide(run, R"({"site":"us","slots":["home"],"segments":["adult"]})")["segments"] == json::parse(R"(["adult"])"));
}

TEST_CASE("targeting conditions: segment conditions may not read later conditional segments") {
  TempDir dir;
  auto later = build_with(dir, json::parse(R"({"segments":[
    {"id":"a","condition":{"in":["b",{"var":"segments"}]}},
    {"id":"b","condition":{"==":[{"var":"site"},"us"]}}]})"));
  CHECK_FALSE(later.ok);
  CHECK(has_error(later.errors, "tailor.json: segments[0].condition.in[0]: segment 'b' is decided by its condition after this one"));
  auto self = build_with(dir, json::parse(R"({"segments":[{"id":"a","condition":{"in":["a",{"var":"segments"}]}}]})"));
  CHECK_FALSE(self.ok);
  CHECK(has_error(self.errors, "segments[0].condition.in[0]: a segment condition cannot read"));
  // A later segment without a condition is known from the request alone: allowed.
  auto listed = build_with(dir, json::parse(R"({"segments":[
    {"id":"a","condition":{"in":["crm",{"var":"segments"}]}},{"id":"crm"}]})"));
  INFO(joined(listed.errors));
  CHECK(listed.ok);
}

TEST_CASE("targeting conditions: bad conditions fail the build with their location") {
  TempDir dir;
  auto op = build_edited(dir, [](json& c) { c["rules"][2]["condition"] = json::parse(R"({"and":[true,{"foo":[1]}]})"); });
  CHECK_FALSE(op.ok);
  CHECK(has_error(op.errors, "tailor.json: rules[2].condition.and[1]: unknown operator 'foo'"));
  auto arity = build_edited(dir, [](json& c) { c["slots"][0]["condition"] = json::parse(R"({"==":[1]})"); });
  CHECK_FALSE(arity.ok);
  CHECK(has_error(arity.errors, "slots[0].condition: operator '==' takes 2 arguments, got 1"));
  auto seg = build_edited(dir, [](json& c) {
    c["segments"] = json::parse(R"([{"id":"vip"}])");
    c["rules"][0]["condition"] = json::parse(R"({"or":[{"in":["vip",{"var":"segments"}]},{"in":["vipp",{"var":"segments"}]}]})");
  });
  CHECK_FALSE(seg.ok);
  CHECK(has_error(seg.errors, "rules[0].condition.or[1].in[0]: unknown segment 'vipp'"));
  CHECK_FALSE(has_error(seg.errors, "'vip'"));
  auto huge = build_edited(dir, [](json& c) {
    json big = json::array();
    for (int i = 0; i < 9000; ++i) big.push_back("0123456789");
    c["rules"][0]["condition"] = json{{"in", json::array({"x", big})}};
  });
  CHECK_FALSE(huge.ok);
  CHECK(has_error(huge.errors, "rules[0].condition"));
  CHECK(has_error(huge.errors, "bytes"));
}

TEST_CASE("targeting conditions: a rule fires only while its condition holds") {
  TempDir dir;
  // pin-two pins c3/a1 at position 2; gate it on a context attribute.
  auto run = build_edited(dir, [](json& c) {
    c.erase("deny");  // so that c3 survives on site us and pin-two has something to pin
    c["rules"][2]["condition"] = json::parse(R"({"==":[{"var":"context.pins"},"on"]})");
  });
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  auto on = decide(run, R"({"site":"us","slots":["home"],"context":{"pins":"on"}})");
  auto off = decide(run, R"({"site":"us","slots":["home"],"context":{"pins":"off"}})");
  bool pinned_on = false, pinned_off = false;
  for (const json& i : on["slots"][0]["items"]) pinned_on = pinned_on || i.contains("pinned");
  for (const json& i : off["slots"][0]["items"]) {
    pinned_off = pinned_off || i.contains("pinned");
    for (const json& r : i["explain"]["rules"]) CHECK(r["id"] != "pin-two");
  }
  CHECK(pinned_on);
  CHECK_FALSE(pinned_off);
  CHECK_FALSE(off.contains("condition_errors"));
}

TEST_CASE("targeting conditions: a slot whose condition is false is skipped with a reason") {
  TempDir dir;
  auto run = build_edited(dir, [](json& c) {
    c.erase("deny");
    c["slots"][0]["condition"] = json::parse(R"({"in":[{"var":"country"},["US","CA"]]})");
  });
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  auto us = decide(run, R"({"site":"us","slots":["home"],"country":"US"})");
  CHECK_FALSE(us["slots"][0].contains("skipped"));
  CHECK_FALSE(us["slots"][0]["items"].empty());
  auto fr = decide(run, R"({"site":"us","slots":["home","picks"],"country":"FR"})");
  CHECK(fr["slots"][0]["skipped"] == "condition");
  CHECK(fr["slots"][0]["items"].empty());
  CHECK(fr["slots"][0]["candidates"] == 0);
  CHECK_FALSE(fr["slots"][1].contains("skipped"));
}

TEST_CASE("targeting conditions: a condition that fails to evaluate is false and reported") {
  TempDir dir;
  auto run = build_edited(dir, [](json& c) {
    c["slots"][0]["condition"] = json::parse(R"({"missing_some":[1,{"var":"context.none"}]})");
  });
  REQUIRE(run.ok);
  auto d = decide(run, R"({"site":"us","slots":["home"]})");
  CHECK(d["slots"][0]["skipped"] == "condition");
  REQUIRE(d["condition_errors"].size() == 1);
  CHECK(d["condition_errors"][0]["of"] == "slot");
  CHECK(d["condition_errors"][0]["id"] == "home");
}

TEST_CASE("targeting conditions: snapshots with malformed condition bytes are refused") {
  TempDir dir;
  auto run = build_edited(dir, [](json& c) { c["rules"][0]["condition"] = json::parse(R"({"==":[1,1]})"); });
  REQUIRE(run.ok);
  std::vector<uint8_t> bytes = run.snap.bytes;
  auto prog = compile(R"({"==":[1,1]})");
  auto at = std::search(bytes.begin(), bytes.end(), prog.begin(), prog.end());
  REQUIRE(at != bytes.end());
  at[2] = 9;  // format version
  auto r = Snapshot::open(bytes);
  CHECK(r.status().code() == Code::kSnapshotInvalid);
  CHECK(r.status().message().find("rule 'boost-sale'") != std::string::npos);
  CHECK(r.status().message().find("version 9") != std::string::npos);
  at[2] = expr::kFormatVersion;
  at[prog.size() - 9] = 0x7F;  // a number tag byte -> unknown tag
  CHECK(Snapshot::open(bytes).status().code() == Code::kSnapshotInvalid);
}

TEST_CASE("targeting conditions: request.context is a bounded object of scalars") {
  CHECK(parse_request(R"({"slots":["a"],"context":{"a":1,"b":"x","c":[1,"y",true,null],"d":null}})").ok());
  auto nested = parse_request(R"({"slots":["a"],"context":{"a":{"b":1}}})");
  CHECK(nested.status().message().find("request.context.a") != std::string::npos);
  auto deep = parse_request(R"({"slots":["a"],"context":{"a":[[1]]}})");
  CHECK(deep.status().message().find("request.context.a[0]") != std::string::npos);
  CHECK(parse_request(R"({"slots":["a"],"context":[1]})").status().code() == Code::kInvalidArgument);
  RequestLimits tight;
  tight.max_context_keys = 1;
  CHECK(parse_request(R"({"slots":["a"],"context":{"a":1,"b":2}})", tight).status().code() == Code::kLimitExceeded);
  tight = {};
  tight.max_context_string = 3;
  CHECK(parse_request(R"({"slots":["a"],"context":{"a":"long"}})", tight).status().code() == Code::kInvalidArgument);
}

namespace {

// The previous implementation of expr::number_to_string on std::to_chars (shortest round trip),
// kept here as the reference: the core has its own digit generator so tailor.wasm does not link
// the float-to-chars tables.
std::string reference_number_to_string(double v) {
  if (v != v) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return "0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  std::string out;
  if (sci.front() == '-') { out += '-'; sci.remove_prefix(1); }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits += c;
  int exp10 = std::atoi(std::string(sci.substr(e + 1)).c_str());
  const int k = static_cast<int>(digits.size()), n = exp10 + 1;
  if (k <= n && n <= 21) { out += digits; out.append(static_cast<size_t>(n - k), '0'); }
  else if (0 < n && n <= 21) { out += digits.substr(0, n); out += '.'; out += digits.substr(n); }
  else if (-6 < n && n <= 0) { out += "0."; out.append(static_cast<size_t>(-n), '0'); out += digits; }
  else {
    out += digits[0];
    if (k > 1) { out += '.'; out += digits.substr(1); }
    out += 'e';
    out += (n - 1) < 0 ? '-' : '+';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

}  // namespace

TEST_CASE("targeting conditions: numbers print as JavaScript prints them, without to_chars") {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&] {  // splitmix64: deterministic
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  std::vector<double> values = {1, 0.1, 0.2 + 0.1, 1e21, 1e-7, 123456789012345680000.0, 5e-324, 2.2250738585072014e-308,
                                2.225073858507201e-308, 1.7976931348623157e308, 9007199254740993.0, 0.5, 100, 1e23,
                                4.35, 0.3, 2.5e-5, 1234.5678, 1e-6, 123e-20};
  for (int p = -330; p <= 310; ++p) values.push_back(std::pow(10.0, p));
  for (int p = -1074; p <= 1023; ++p) values.push_back(std::ldexp(1.0, p));
  for (int i = 0; i < 100000; ++i) {
    uint64_t bits = next();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) values.push_back(d);
    values.push_back(static_cast<double>(next() % 100000000) / 1000.0);
  }
  size_t mismatches = 0;
  for (double d : values) {
    const std::string got = expr::number_to_string(d), want = reference_number_to_string(d);
    if (got != want && ++mismatches <= 5) CHECK_MESSAGE(got == want, "value bits differ for ", want);
    CHECK(std::strtod(got.c_str(), nullptr) == d);
  }
  CHECK(mismatches == 0);
}
