// Segments: config -> snapshot -> membership per request -> decision "segments".
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tailor/engine.h"
#include "tailor/request.h"
#include "tailor/snapshot.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;
using nlohmann::json;

namespace {

struct Built {
  TempDir dir;
  BuildRun run;
};

BuildRun build_with(const TempDir& dir, const json& extra) {
  write_fixture(dir);
  json c = fixture_config();
  for (auto it = extra.begin(); it != extra.end(); ++it) c[it.key()] = it.value();
  return build_in(dir, c);
}

json decide(const BuildRun& run, const std::string& request) { return decide_built(run, request); }

}  // namespace

TEST_CASE("targeting segments: written to the snapshot in config order") {
  TempDir dir;
  auto run = build_with(dir, json::parse(R"({"segments":[{"id":"vip","name":"VIP"},{"id":"b2b"}]})"));
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  auto snap = Snapshot::open(run.snap.bytes);
  REQUIRE(snap.ok());
  const auto* segs = snap.value().root().segments();
  REQUIRE(segs);
  REQUIRE(segs->size() == 2);
  CHECK(sv(segs->Get(0)->id()) == "vip");
  CHECK(sv(segs->Get(0)->name()) == "VIP");
  CHECK(sv(segs->Get(1)->id()) == "b2b");
  CHECK(segs->Get(1)->name() == nullptr);
}

TEST_CASE("targeting segments: request-listed ids known to the snapshot are reported") {
  TempDir dir;
  auto run = build_with(dir, json::parse(R"({"segments":[{"id":"vip"},{"id":"b2b"},{"id":"new"}]})"));
  REQUIRE(run.ok);
  auto d = decide(run, R"({"site":"us","slots":["home"],"segments":["new","crm-only","vip"]})");
  CHECK(d["segments"] == json::parse(R"(["vip","new"])"));  // snapshot order, unknown ids dropped
  auto none = decide(run, R"({"site":"us","slots":["home"]})");
  CHECK(none["segments"] == json::array());
}

TEST_CASE("targeting segments: decisions of snapshots without segments have no segments key") {
  TempDir dir;
  auto run = build_with(dir, json::object());
  REQUIRE(run.ok);
  auto d = decide(run, R"({"site":"us","slots":["home"],"segments":["vip"]})");
  CHECK_FALSE(d.contains("segments"));
}

TEST_CASE("targeting segments: bad config is located") {
  TempDir dir;
  auto dup = build_with(dir, json::parse(R"({"segments":[{"id":"vip"},{"id":"vip"}]})"));
  CHECK_FALSE(dup.ok);
  CHECK(has_error(dup.errors, "segments[1].id"));
  auto noid = build_with(dir, json::parse(R"({"segments":[{"name":"x"}]})"));
  CHECK_FALSE(noid.ok);
  CHECK(has_error(noid.errors, "segments[0].id"));
  auto notarr = build_with(dir, json::parse(R"({"segments":{"id":"x"}})"));
  CHECK_FALSE(notarr.ok);
  CHECK(has_error(notarr.errors, "segments: expected an array"));
}

TEST_CASE("targeting segments: request.segments is a capped list of strings") {
  auto r = parse_request(R"({"slots":["a"],"segments":["x","y"]})");
  REQUIRE(r.ok());
  CHECK(r.value().segments == std::vector<std::string>{"x", "y"});
  REQUIRE(r.value().data);
  CHECK(r.value().data->at("segments").size() == 2);
  auto bad = parse_request(R"({"slots":["a"],"segments":[1]})");
  CHECK(bad.status().message().find("request.segments[0]") != std::string::npos);
  RequestLimits tight;
  tight.max_ids = 1;
  CHECK(parse_request(R"({"slots":["a"],"segments":["x","y"]})", tight).status().code() == Code::kLimitExceeded);
}
