// Experiments and bandits end to end: config -> tailor build -> engine decision. Assignment
// (GrowthBook hashing, sticky, forced, epsilon-greedy, Thompson), consent, what a variation
// changes in a slot, propensities, the deterministic samplers, and located build errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "fixture.h"
#include "tailor/bandit.h"
#include "tailor/bucketing.h"
#include "tailor/engine.h"
#include "tailor/experiments.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
namespace st = tailor::sync::test;
using st::TempDir;
using st::BuildRun;
using st::build_in;
using st::joined;
using st::has_error;
using nlohmann::json;

namespace {

constexpr const char* kItems =
    "id,title,popularity,published_at\n"
    "old-hit,Old hit,100,2020-01-01T00:00:00Z\n"
    "mid,Middle,50,2026-06-01T00:00:00Z\n"
    "new,Brand new,1,2026-10-30T00:00:00Z\n";

json base_config() {
  return json::parse(R"({
    "schema": 1,
    "tenant": {"id": "shop"},
    "version": "v1",
    "built_at": "2026-11-01T00:00:00Z",
    "items": {"path": "items.csv"},
    "strategies": [
      {"id": "popular", "terms": [{"kind": "popularity"}]},
      {"id": "fresh", "terms": [{"kind": "recency", "half_life_days": 30}]}
    ],
    "slots": [{"id": "home", "strategy": "popular", "size": 3}, {"id": "other", "strategy": "popular", "size": 3}],
    "rules": [{"id": "boost-new", "action": "boost", "amount": 0.5, "match": {"items": ["new"]}}],
    "experiments": [{
      "id": "home-ranking",
      "slots": ["home"],
      "variations": [{"key": "control"}, {"key": "fresh", "strategy": "fresh"}]
    }]
  })");
}

using Built = st::BuiltEngine;

void build(Built& b, const json& cfg) { st::build_and_load(b, cfg, {{"items.csv", kItems}}); }

json run_decide(Built& b, const json& request) {
  Status s = b.engine.decide(request.dump(), std::span<const uint8_t>());
  INFO(s.message());
  REQUIRE(s.ok());
  return json::parse(b.engine.output());
}

json request_for(const std::string& user, const json& extra = json::object()) {
  json r = {{"slots", {"home"}}, {"user", {{"id", user}}}, {"consent", {"experiments"}}};
  for (auto it = extra.begin(); it != extra.end(); ++it) r[it.key()] = it.value();
  return r;
}

std::string expect_build_error(const std::function<void(json&)>& edit, const std::string& needle) {
  TempDir dir;
  dir.write("items.csv", kItems);
  dir.write("arms.csv", "variation,successes,trials\ncontrol,1,10\nnope,1,10\n");
  json cfg = base_config();
  edit(cfg);
  return check_build_failed(build_in(dir, cfg), needle);
}

}  // namespace

TEST_CASE("experiments: fixed allocation follows GrowthBook hashing and changes the slot's strategy") {
  Built b;
  build(b, base_config());
  std::map<std::string, int> seen;
  for (int u = 0; u < 400; ++u) {
    const std::string user = "user-" + std::to_string(u);
    json d = run_decide(b, request_for(user));
    REQUIRE(d["experiments"].size() == 1);
    const json& a = d["experiments"][0];
    CHECK(a["in_experiment"] == true);
    CHECK(a["how"] == "hash");
    // The same variation GrowthBook's SDK would choose for this user.
    const double n = *bucket_hash("home-ranking", user, 2);
    const auto ranges = bucket_ranges(2, 1.0);
    CHECK(a["index"] == choose_variation(n, ranges));
    const std::string key = a["variation"];
    ++seen[key];
    CHECK(d["slots"][0]["strategy"] == (key == "fresh" ? "fresh" : "popular"));
    CHECK(d["slots"][0]["items"][0]["id"] == (key == "fresh" ? "new" : "old-hit"));
    REQUIRE(d["exposures"].size() == 1);
    CHECK(d["exposures"][0]["propensity"] == 0.5);
    CHECK(d["exposures"][0]["allocation"] == "fixed");
    CHECK(d["exposures"][0]["slots"] == json::array({"home"}));
  }
  CHECK(seen["control"] > 150);
  CHECK(seen["fresh"] > 150);
}

TEST_CASE("experiments: only experiments on requested slots are decided, other slots keep their strategy") {
  Built b;
  build(b, base_config());
  json d = run_decide(b, {{"slots", {"other"}}, {"user", {{"id", "x"}}}, {"consent", {"experiments"}}});
  CHECK(d["experiments"] == json::array());
  CHECK(d["exposures"] == json::array());
  CHECK(d["slots"][0]["strategy"] == "popular");
}

TEST_CASE("experiments: assignment is deterministic per visitor") {
  Built b;
  build(b, base_config());
  for (int u = 0; u < 20; ++u) {
    json r = request_for("det-" + std::to_string(u));
    CHECK(run_decide(b, r).dump() == run_decide(b, r).dump());
  }
}

TEST_CASE("experiments: sticky assignments are honoured while the variation exists") {
  Built b;
  build(b, base_config());
  // Find a user hashed to control, then stick them to fresh.
  std::string user;
  for (int u = 0; user.empty(); ++u)
    if (run_decide(b, request_for("s" + std::to_string(u)))["experiments"][0]["variation"] == "control")
      user = "s" + std::to_string(u);
  json d = run_decide(b, request_for(user, {{"assignments", {{"home-ranking", "fresh"}}}}));
  CHECK(d["experiments"][0]["variation"] == "fresh");
  CHECK(d["experiments"][0]["how"] == "sticky");
  CHECK(d["slots"][0]["strategy"] == "fresh");
  CHECK(d["exposures"][0]["propensity"] == 0.5);
  // A variation that no longer exists: hashed again.
  d = run_decide(b, request_for(user, {{"assignments", {{"home-ranking", "gone"}}}}));
  CHECK(d["experiments"][0]["variation"] == "control");
  CHECK(d["experiments"][0]["how"] == "hash");
}

TEST_CASE("experiments: no experiment without its consent purpose") {
  Built b;
  build(b, base_config());
  json r = request_for("u1");
  r["consent"] = json::array({"personalization"});
  json d = run_decide(b, r);
  CHECK(d["experiments"][0]["in_experiment"] == false);
  CHECK(d["experiments"][0]["reason"] == "no_consent");
  CHECK_FALSE(d["experiments"][0].contains("variation"));
  CHECK(d["exposures"] == json::array());
  CHECK(d["slots"][0]["strategy"] == "popular");
  // Sticky assignments do not bypass consent.
  r["assignments"] = {{"home-ranking", "fresh"}};
  CHECK(run_decide(b, r)["experiments"][0]["reason"] == "no_consent");
  // No consent list and no profile: no consent.
  r.erase("consent");
  CHECK(run_decide(b, r)["experiments"][0]["reason"] == "no_consent");

  // Another purpose, or none at all.
  json cfg = base_config();
  cfg["experiments"][0]["purpose"] = "analytics";
  Built b2;
  build(b2, cfg);
  CHECK(run_decide(b2, request_for("u1"))["experiments"][0]["reason"] == "no_consent");
  CHECK(run_decide(b2, request_for("u1", {{"consent", {"analytics"}}}))["experiments"][0]["in_experiment"] == true);
  cfg["experiments"][0].erase("purpose");
  cfg["experiments"][0]["consent_required"] = false;
  Built b3;
  build(b3, cfg);
  CHECK(run_decide(b3, {{"slots", {"home"}}, {"user", {{"id", "u1"}}}})["experiments"][0]["in_experiment"] == true);
}

TEST_CASE("experiments: no hash attribute, namespace and coverage keep visitors out") {
  json cfg = base_config();
  cfg["experiments"][0]["namespace"] = {"home", 0, 0.5};
  cfg["experiments"][0]["coverage"] = 0.5;
  cfg["experiments"][0]["hash_attribute"] = "device.id";
  Built b;
  build(b, cfg);
  json d = run_decide(b, request_for("u1"));
  CHECK(d["experiments"][0]["reason"] == "no_hash_attribute");
  std::map<std::string, int> reasons;
  for (int u = 0; u < 400; ++u) {
    const std::string acct = "device-" + std::to_string(u);
    d = run_decide(b, {{"slots", {"home"}}, {"device", {{"id", acct}}}, {"consent", {"experiments"}}});
    const json& a = d["experiments"][0];
    const bool ns = in_namespace(acct, "home", 0, 0.5);
    if (!ns) CHECK(a["reason"] == "namespace");
    if (a["in_experiment"] == true) {
      CHECK(ns);
      CHECK(d["exposures"][0]["propensity"] == 0.25);  // weight 0.5 x coverage 0.5
    }
    ++reasons[a.value("reason", "in")];
  }
  CHECK(reasons["namespace"] > 150);
  CHECK(reasons["coverage"] > 50);
  CHECK(reasons["in"] > 50);
}

TEST_CASE("experiments: a false targeting condition keeps the visitor out, stopped or running") {
  json cfg = base_config();
  cfg["experiments"][0]["condition"] = json::parse(R"({"==": [{"var": "context.tier"}, "gold"]})");
  Built b;
  build(b, cfg);
  json d = run_decide(b, request_for("u1", {{"context", {{"tier", "silver"}}}}));
  CHECK(d["experiments"][0]["reason"] == "condition");
  CHECK(d["exposures"] == json::array());
  d = run_decide(b, request_for("u1", {{"context", {{"tier", "gold"}}}}));
  CHECK(d["experiments"][0]["in_experiment"] == true);
  cfg["experiments"][0]["status"] = "stopped";
  Built b2;
  build(b2, cfg);
  d = run_decide(b2, request_for("u1", {{"context", {{"tier", "silver"}}}}));
  CHECK(d["experiments"][0]["reason"] == "condition");
  CHECK(d["slots"][0]["strategy"] == "popular");
  expect_build_error([](json& c) { c["experiments"][0]["condition"] = json::parse(R"({"nope": [1]})"); },
                     "experiments[0].condition");
}

TEST_CASE("experiments: a stopped experiment forces its variation without an exposure") {
  json cfg = base_config();
  cfg["experiments"][0]["status"] = "stopped";
  cfg["experiments"][0]["forced_variation"] = "fresh";
  Built b;
  build(b, cfg);
  json d = run_decide(b, {{"slots", {"home"}}});  // no consent, no user: a rollout needs neither
  CHECK(d["experiments"][0]["variation"] == "fresh");
  CHECK(d["experiments"][0]["how"] == "forced");
  CHECK(d["experiments"][0]["in_experiment"] == false);
  CHECK(d["exposures"] == json::array());
  CHECK(d["slots"][0]["strategy"] == "fresh");
}

TEST_CASE("experiments: term weight overrides and rules switched off show in the explanation") {
  json cfg = base_config();
  cfg["experiments"][0]["variations"] = json::parse(R"([
    {"key": "control"},
    {"key": "heavy", "term_weights": {"popularity": 3}, "rules_off": ["boost-new"]}])");
  Built b;
  build(b, cfg);
  json d = run_decide(b, request_for("u", {{"assignments", {{"home-ranking", "heavy"}}}}));
  const json& item = d["slots"][0]["items"][0];
  CHECK(item["explain"]["terms"][0]["weight"] == 3);
  for (const json& it : d["slots"][0]["items"]) CHECK(it["explain"]["rules"] == json::array());
  d = run_decide(b, request_for("u", {{"assignments", {{"home-ranking", "control"}}}}));
  CHECK(d["slots"][0]["items"][0]["explain"]["terms"][0]["weight"] == 1);
  bool boosted = false;
  for (const json& it : d["slots"][0]["items"]) boosted = boosted || !it["explain"]["rules"].empty();
  CHECK(boosted);
}

TEST_CASE("experiments: epsilon-greedy exploits the best arm and logs its propensity") {
  json cfg = base_config();
  cfg["experiments"][0]["allocation"] = "epsilon_greedy";
  cfg["experiments"][0]["epsilon"] = 0.2;
  cfg["experiments"][0]["variations"][0]["successes"] = 10;
  cfg["experiments"][0]["variations"][0]["trials"] = 100;
  cfg["experiments"][0]["variations"][1]["successes"] = 30;
  cfg["experiments"][0]["variations"][1]["trials"] = 100;
  Built b;
  build(b, cfg);
  int greedy = 0;
  const int n = 1000;
  for (int u = 0; u < n; ++u) {
    json d = run_decide(b, request_for("e" + std::to_string(u)));
    const json& x = d["exposures"][0];
    CHECK(x["how"] == "epsilon");
    const bool is_greedy = x["variation"] == "fresh";
    greedy += is_greedy;
    CHECK(x["propensity"].get<double>() == doctest::Approx(is_greedy ? 0.9 : 0.1));
  }
  CHECK(greedy > 850);
  CHECK(greedy < 950);
}

TEST_CASE("experiments: Thompson sampling draws arms as often as its propensities say") {
  json cfg = base_config();
  cfg["experiments"][0]["allocation"] = "thompson";
  cfg["experiments"][0]["stats"] = {{"path", "arms.csv"}};
  Built b;
  b.dir.write("arms.csv", "variation,successes,trials\ncontrol,20,100\nfresh,25,100\n");
  build(b, cfg);
  const fb::Experiment& e = *b.engine.snapshot()->root().experiments()->Get(0);
  const double p0 = policy_propensity(e, 0), p1 = policy_propensity(e, 1);
  CHECK(p0 + p1 == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(p1 > 0.6);
  CHECK(p1 < 0.95);
  int fresh = 0;
  const int n = 1000;
  for (int u = 0; u < n; ++u) {
    json d = run_decide(b, request_for("t" + std::to_string(u)));
    const json& x = d["exposures"][0];
    CHECK(x["how"] == "thompson");
    fresh += x["variation"] == "fresh";
    CHECK(x["propensity"].get<double>() == doctest::Approx(x["variation"] == "fresh" ? p1 : p0).epsilon(1e-6));
  }
  CHECK(std::fabs(fresh / double(n) - p1) < 0.06);
}

TEST_CASE("experiments: policy propensities sum to coverage for every allocation") {
  for (const char* alloc : {"fixed", "epsilon_greedy", "thompson"}) {
    json cfg = base_config();
    json& e = cfg["experiments"][0];
    e["coverage"] = 0.8;
    e["allocation"] = alloc;
    e["variations"].push_back({{"key", "third"}});
    if (std::string(alloc) == "fixed") e["weights"] = {0.2, 0.3, 0.5};
    if (std::string(alloc) == "epsilon_greedy") e["epsilon"] = 0.3;
    if (std::string(alloc) != "fixed")
      for (int k = 0; k < 3; ++k) {
        e["variations"][k]["successes"] = 5 + k;
        e["variations"][k]["trials"] = 20;
      }
    Built b;
    build(b, cfg);
    const fb::Experiment& x = *b.engine.snapshot()->root().experiments()->Get(0);
    double sum = 0;
    for (int k = 0; k < 3; ++k) sum += policy_propensity(x, k);
    INFO(alloc);
    CHECK(sum == doctest::Approx(0.8).epsilon(1e-12));
  }
}

TEST_CASE("bandit: deterministic log, gamma and beta samplers") {
  for (double x : {1e-300, 1e-10, 0.001, 0.5, 0.7071, 1.0, 1.5, 2.0, 10.0, 12345.678, 1e300}) {
    INFO(x);
    CHECK(log_det(x) == doctest::Approx(std::log(x)).epsilon(1e-15));
  }
  CHECK(log_det(1.0) == 0.0);
  // Same seed, same bits.
  Rng a(7), c(7);
  for (int i = 0; i < 100; ++i) CHECK(beta_sample(a, 3, 9) == beta_sample(c, 3, 9));
  // Moments: Gamma(k) has mean k; Beta(a, b) has mean a / (a + b).
  Rng r(12345);
  for (double shape : {1.0, 2.5, 40.0, 1e6}) {
    double sum = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) sum += gamma_sample(r, shape);
    INFO(shape);
    CHECK(sum / n == doctest::Approx(shape).epsilon(0.03));
  }
  double sum = 0;
  for (int i = 0; i < 20000; ++i) sum += beta_sample(r, 3, 7);
  CHECK(sum / 20000 == doctest::Approx(0.3).epsilon(0.03));
  // Uniforms stay inside their intervals.
  Rng u(0);
  for (int i = 0; i < 1000; ++i) {
    const double x = u.uniform_open();
    CHECK(x > 0.0);
    CHECK(x < 1.0);
  }
}

TEST_CASE("bandit: arm choice and propensities") {
  const double s[] = {10, 30, 30}, t[] = {100, 100, 200};
  CHECK(greedy_arm(s, t) == 1);
  const double s2[] = {0, 0}, t2[] = {0, 0};
  CHECK(greedy_arm(s2, t2) == 0);  // ties: lowest index
  double sum = 0;
  for (int k = 0; k < 3; ++k) sum += epsilon_greedy_propensity(0.25, 1, 3, k);
  CHECK(sum == doctest::Approx(1.0));
  CHECK(epsilon_greedy_propensity(0.25, 1, 3, 1) == doctest::Approx(0.75 + 0.25 / 3));
  double p[3];
  thompson_propensities(99, 10000, s, t, p);
  CHECK(p[0] + p[1] + p[2] == doctest::Approx(1.0));
  CHECK(p[1] > 0.99);
  double q[3];
  thompson_propensities(99, 10000, s, t, q);
  CHECK(std::equal(p, p + 3, q));
}

TEST_CASE("experiments: bad experiments fail the build with a located error") {
  expect_build_error([](json& c) { c["experiments"][0]["weights"] = {0.5, 0.4}; }, "experiments[0].weights: weights sum to 0.9, they must sum to 1");
  expect_build_error([](json& c) { c["experiments"][0]["weights"] = {1}; }, "experiments[0].weights: 1 weights for 2 variations");
  expect_build_error([](json& c) { c["experiments"][0]["slots"] = {"nope"}; }, "experiments[0].slots[0]: unknown slot 'nope'");
  expect_build_error([](json& c) { c["experiments"][0]["variations"][1]["strategy"] = "nope"; },
                     "experiments[0].variations[1].strategy: unknown strategy 'nope'");
  expect_build_error([](json& c) { c["experiments"][0]["namespace"] = {"ns", 0.6, 0.2}; }, "experiments[0].namespace: start 0.6 must be below end 0.2");
  expect_build_error([](json& c) { c["experiments"][0]["namespace"] = "ns"; }, "experiments[0].namespace: expected [namespace id, start, end]");
  expect_build_error([](json& c) {
    c["experiments"][0]["allocation"] = "epsilon_greedy";
    c["experiments"][0]["epsilon"] = 1.5;
  }, "experiments[0].epsilon: 1.5 is out of range (0 to 1)");
  expect_build_error([](json& c) { c["experiments"][0]["allocation"] = "epsilon_greedy"; }, "experiments[0].epsilon: is required");
  expect_build_error([](json& c) { c["experiments"][0]["epsilon"] = 0.1; }, "only epsilon_greedy experiments take an epsilon");
  expect_build_error([](json& c) { c["experiments"][0]["allocation"] = "ucb"; }, "experiments[0].allocation: unknown allocation 'ucb'");
  expect_build_error([](json& c) { c["experiments"][0]["variations"][1]["term_weights"] = {{"popularity", 2}}; },
                     "experiments[0].variations[1].term_weights.popularity: strategy 'fresh' (slot 'home') has no term named 'popularity'");
  expect_build_error([](json& c) { c["experiments"][0]["variations"][0]["term_weights"] = {{"recency", 2}}; },
                     "experiments[0].variations[0].term_weights.recency: strategy 'popular' (slot 'home') has no term named 'recency'");
  expect_build_error([](json& c) { c["experiments"][0]["forced_variation"] = "fresh"; }, "only a stopped experiment has a forced variation");
  expect_build_error([](json& c) {
    c["experiments"][0]["status"] = "stopped";
    c["experiments"][0]["forced_variation"] = "nope";
  }, "experiments[0].forced_variation: unknown variation 'nope'");
  expect_build_error([](json& c) { c["experiments"][0]["variations"][1]["key"] = "control"; }, "experiments[0].variations[1].key");
  expect_build_error([](json& c) { c["experiments"][0]["variations"] = json::array(); }, "experiments[0].variations: 0 variations");
  expect_build_error([](json& c) {
    c["rules"].push_back({{"id", "hide"}, {"action", "exclude"}, {"match", {{"items", {"mid"}}}}});
    c["experiments"][0]["variations"][1]["rules_off"] = {"hide"};
  }, "experiments[0].variations[1].rules_off[0]: rule 'hide' is an exclude rule");
  expect_build_error([](json& c) {
    c["experiments"][0]["variations"][1]["successes"] = 5;
    c["experiments"][0]["variations"][1]["trials"] = 2;
  }, "need 0 <= successes <= trials");
  expect_build_error([](json& c) {
    c["experiments"][0]["allocation"] = "thompson";
    c["experiments"][0]["stats"] = {{"path", "arms.csv"}};
  }, "arms.csv:3: field 'variation': unknown variation 'nope'");
  expect_build_error([](json& c) { c["experiments"][0]["weights"] = {0.5, 0.5}; c["experiments"][0]["allocation"] = "thompson"; },
                     "weights apply to fixed allocation only");
}
