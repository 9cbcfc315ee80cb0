// Snapshot feature levels: the writer stamps the lowest level the snapshot's features need, so a
// snapshot without newer features keeps min_engine 1 and its bytes, and an engine refuses a level
// above its own instead of ignoring what it does not know.
#include <doctest/doctest.h>

#include <functional>

#include "feature_level.h"
#include "inspect.h"
#include "tailor/engine.h"
#include "tailor/snapshot.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;
using nlohmann::json;

namespace {

struct Levelled {
  BuildRun run;
  uint32_t min_engine = 0;
  std::vector<std::string> features;
};

Levelled build_with(const std::function<void(json&)>& edit) {
  TempDir dir;
  write_fixture(dir);
  json c = fixture_config();
  edit(c);
  Levelled out;
  out.run = build_in(dir, c);
  INFO(joined(out.run.errors));
  REQUIRE(out.run.ok);
  const fb::Snapshot& root = *fb::GetSnapshot(out.run.snap.bytes.data());
  out.min_engine = root.min_engine();
  for (const SnapshotFeature& f : snapshot_features(root)) out.features.push_back(f.name);
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("feature level: a snapshot without newer features is level 1") {
  Levelled l = build_with([](json&) {});
  CHECK(l.min_engine == kFeatureLevelFoundation);
  CHECK(l.features.empty());
  CHECK(required_feature_level(*fb::GetSnapshot(l.run.snap.bytes.data())) == 1);
}

TEST_CASE("feature level: each feature above the foundation raises min_engine to its level") {
  struct Case {
    const char* feature;
    std::function<void(json&)> edit;
  };
  const Case cases[] = {
      {"policies",
       [](json& c) {
         c["policies"] = json::parse(R"([{"id": "adult", "kind": "min_age", "min_age": 18, "items": ["a1"]}])");
       }},
      {"conditions", [](json& c) { c["rules"][0]["condition"] = json::parse(R"({">=": [{"var": "age"}, 18]})"); }},
      {"diversity", [](json& c) { c["slots"][0]["diversity"] = json{{"max_per_brand", 1}}; }},
      {"experiments",
       [](json& c) {
         c["experiments"] = json::parse(
             R"([{"id": "x", "slots": ["home"], "variations": [{"key": "a"}, {"key": "b", "strategy": "personal"}]}])");
       }},
      {"site_overrides", [](json& c) { c["slots"][0]["sites"] = json{{"eu", {{"size", 2}}}}; }},
      {"profile_attributes",
       [](json& c) { c["attributes"].push_back(json::parse(R"({"name": "loyalty", "type": "categorical", "on": "profiles"})")); }},
  };
  for (const Case& k : cases) {
    CAPTURE(k.feature);
    Levelled l = build_with(k.edit);
    CHECK(l.min_engine == kFeatureLevelBusiness);
    CHECK(l.features == V{k.feature});
    // This engine reads it.
    Engine e;
    CHECK(e.load_snapshot(l.run.snap.bytes).ok());
  }
}

TEST_CASE("feature level: a diversity cap on a custom attribute needs level 3") {
  Levelled l = build_with([](json& c) {
    c["slots"][0]["diversity"] = json::parse(R"({"max_per_attribute": {"attribute": "color", "max": 1}})");
  });
  CHECK(l.min_engine == kFeatureLevelPolicyConditions);
  CHECK(l.features == V{"diversity_attribute_caps", "diversity"});
  Engine e;
  CHECK(e.load_snapshot(l.run.snap.bytes).ok());
}

TEST_CASE("feature level: raising min_engine changes only that field's four bytes") {
  Levelled plain = build_with([](json&) {});
  Levelled with_policy = build_with([](json& c) {
    c["policies"] = json::parse(R"([{"id": "adult", "kind": "min_age", "min_age": 18, "items": ["a1"]}])");
  });
  REQUIRE(with_policy.min_engine == 2);
  std::vector<uint8_t> restamped = with_policy.run.snap.bytes;
  REQUIRE(stamp_min_engine(restamped, 1));
  size_t differing = 0;
  for (size_t i = 0; i < restamped.size(); ++i) differing += restamped[i] != with_policy.run.snap.bytes[i];
  CHECK(differing == 1);  // little-endian 2 -> 1: one byte
  CHECK(fb::GetSnapshot(restamped.data())->min_engine() == 1);
  CHECK(plain.run.snap.bytes.size() < with_policy.run.snap.bytes.size());
}

TEST_CASE("feature level: a snapshot above this engine's level is refused, naming the level") {
  Levelled l = build_with([](json& c) { c["slots"][0]["diversity"] = json{{"max_per_brand", 1}}; });
  std::vector<uint8_t> future = l.run.snap.bytes;
  REQUIRE(stamp_min_engine(future, kFeatureLevel + 1));
  Engine e;
  Status st = e.load_snapshot(future);
  CHECK(st.code() == Code::kSnapshotIncompatible);
  CHECK(st.message().find("feature level " + std::to_string(kFeatureLevel + 1)) != std::string::npos);
  // An engine from before levels compared min_engine with its ABI version (1): it refuses level 2.
  CHECK(l.min_engine > kEngineAbi);
}

TEST_CASE("feature level: tailor inspect shows min_engine and the features that need it") {
  Levelled l = build_with([](json& c) {
    c["policies"] = json::parse(R"([{"id": "adult", "kind": "min_age", "min_age": 18, "items": ["a1"]}])");
    c["slots"][0]["diversity"] = json{{"max_per_brand", 1}};
  });
  auto out = inspect_snapshot(l.run.snap.bytes, 0);
  REQUIRE(out.ok());
  json j = json::parse(*out);
  CHECK(j["min_engine"] == 2);
  CHECK(j["features"] == json::parse(R"([{"name": "policies", "level": 2}, {"name": "diversity", "level": 2}])"));
  Levelled plain = build_with([](json&) {});
  json p = json::parse(*inspect_snapshot(plain.run.snap.bytes, 0));
  CHECK(p["min_engine"] == 1);
  CHECK(p["features"] == json::array());
}
