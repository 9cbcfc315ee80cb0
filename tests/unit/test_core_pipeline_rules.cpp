// Business rules (boost, bury, pin, exclude, schedules, scopes) and top-k ranking.
// Catalog: rich_catalog() (popularity: jacket .9, boot .7, cap .6, runner .5, novel .3, sock .1).
#include <doctest/doctest.h>

#include "fixture.h"

using namespace tailor;
using namespace tailor::test;
using Strings = std::vector<std::string>;
using doctest::Approx;

namespace {

MatchSpec items(std::vector<uint32_t> idx) {
  MatchSpec m;
  m.items = std::move(idx);
  return m;
}

SnapSpec with_rules(std::vector<RuleSpec> rules) {
  SnapSpec s = rich_catalog();
  s.rules = std::move(rules);
  return s;
}

constexpr const char* kUs = R"({"site":"us","slots":["all"]})";

std::string at(int64_t now, std::string_view site = "us") {
  return R"({"site":")" + std::string(site) + R"(","now":)" + std::to_string(now) + R"(,"slots":["all"]})";
}

}  // namespace

TEST_CASE("rules: boost and bury move scores by their amount and are explained") {
  auto d = decide(with_rules({{"push-sock", fb::RuleAction::Boost, 0.75f, 1, {}, {}, items({4})},
                              {"sink-jacket", fb::RuleAction::Bury, 0.5f, 1, {}, {}, items({0})}}),
                  kUs);
  CHECK(ids(d) == Strings{"sock", "boot", "cap", "runner", "jacket"});
  CHECK(num(item(d, "sock")["score"]) == Approx(0.85));
  CHECK(num(item(d, "jacket")["score"]) == Approx(0.4));
  CHECK(item(d, "sock")["explain"]["rules"] ==
        nlohmann::json::parse(R"([{"id":"push-sock","action":"boost","amount":0.75}])"));
  CHECK(item(d, "jacket")["explain"]["rules"] ==
        nlohmann::json::parse(R"([{"id":"sink-jacket","action":"bury","amount":-0.5}])"));
  CHECK(item(d, "boot")["explain"]["rules"].empty());
}

TEST_CASE("rules: match conditions (categories with descendants, brands, values, number range) are ANDed") {
  MatchSpec footwear_zenith;
  footwear_zenith.categories = {1};  // footwear and running
  footwear_zenith.brands = {1};      // zenith: boot, sock
  MatchSpec eco;
  eco.attribute = 2;
  eco.values = {0};  // runner, sock
  MatchSpec red;
  red.attribute = 1;
  red.values = {2};  // jacket, cap
  MatchSpec rated;
  rated.number_attribute = 0;
  rated.number_min = 3.5f;
  rated.number_max = 4.0f;  // jacket 4, cap 3.5 (novel's missing rating never matches)
  auto d = decide(with_rules({{"fz", fb::RuleAction::Boost, 1.0f, 1, {}, {}, footwear_zenith},
                              {"eco", fb::RuleAction::Boost, 10.0f, 1, {}, {}, eco},
                              {"red", fb::RuleAction::Boost, 100.0f, 1, {}, {}, red},
                              {"rated", fb::RuleAction::Boost, 1000.0f, 1, {}, {}, rated}}),
                  R"({"site":"eu","slots":["all"]})");
  CHECK(num(item(d, "boot")["score"]) == Approx(1.7));
  CHECK(num(item(d, "sock")["score"]) == Approx(11.1));
  CHECK(num(item(d, "jacket")["score"]) == Approx(1100.9));
  CHECK(num(item(d, "cap")["score"]) == Approx(1100.6));
  CHECK(num(item(d, "novel")["score"]) == Approx(0.3));
  CHECK(item(d, "sock")["explain"]["rules"].size() == 2);
}

TEST_CASE("rules: a rule with no match applies to every item") {
  auto d = decide(with_rules({{"all-up", fb::RuleAction::Boost, 1.0f}}), kUs);
  for (auto& it : d["slots"][0]["items"]) CHECK(it["explain"]["rules"].size() == 1);
  CHECK(num(item(d, "sock")["score"]) == Approx(1.1));
}

TEST_CASE("rules: slot and site scopes") {
  SnapSpec s = with_rules({{"other-slot", fb::RuleAction::Boost, 5.0f, 1, {1}, {}, items({4})},
                           {"eu-only", fb::RuleAction::Boost, 5.0f, 1, {}, {1}, items({5})}});
  s.slots.push_back({"second", 0});
  s.slots.back().in_stock_only = false;
  auto us = decide(s, R"({"site":"us","slots":["all","second"]})");
  CHECK(ids(us, 0).front() == "jacket");
  CHECK(ids(us, 1).front() == "sock");  // other-slot fires in slot 1 only
  auto eu = decide(s, R"({"site":"eu","slots":["all"]})");
  CHECK(ids(eu).front() == "cap");
  auto none = decide(s, R"({"slots":["all"]})");  // site-scoped rules need a site
  CHECK(ids(none).front() == "jacket");
}

TEST_CASE("rules: schedules use the request's now - starts inclusive, ends exclusive") {
  const int64_t start = kBuiltAt + 100, end = kBuiltAt + 200;
  SnapSpec s = with_rules({{"sale", fb::RuleAction::Boost, 5.0f, 1, {}, {}, items({4}), start, end}});
  CHECK(ids(decide(s, kUs)).front() == "jacket");  // default now = built_at: not started
  CHECK(ids(decide(s, at(start - 1))).front() == "jacket");
  CHECK(ids(decide(s, at(start))).front() == "sock");
  CHECK(ids(decide(s, at(end - 1))).front() == "sock");
  CHECK(ids(decide(s, at(end))).front() == "jacket");
  // Open-ended schedules.
  SnapSpec from = with_rules({{"from", fb::RuleAction::Boost, 5.0f, 1, {}, {}, items({4}), start, 0}});
  CHECK(ids(decide(from, at(start + 1'000'000))).front() == "sock");
  SnapSpec until = with_rules({{"until", fb::RuleAction::Boost, 5.0f, 1, {}, {}, items({4}), 0, end}});
  CHECK(ids(decide(until, at(1))).front() == "sock");
  CHECK(ids(decide(until, at(end))).front() == "jacket");
}

TEST_CASE("rules: pin places its item at the position regardless of score") {
  auto d = decide(with_rules({{"pin-sock", fb::RuleAction::Pin, 0, 2, {}, {}, items({4})}}), kUs);
  CHECK(ids(d) == Strings{"jacket", "sock", "boot", "cap", "runner"});
  auto sock = item(d, "sock");
  CHECK(sock["pinned"] == "pin-sock");
  CHECK(sock["rank"] == 2);
  CHECK(num(sock["score"]) == Approx(0.1));  // the score is not changed
  CHECK(sock["explain"]["rules"] == nlohmann::json::parse(R"([{"id":"pin-sock","action":"pin","position":2}])"));
  CHECK_FALSE(item(d, "jacket").contains("pinned"));
}

TEST_CASE("rules: pin takes the best-scoring match - later pins move past taken positions") {
  MatchSpec zenith;
  zenith.brands = {1};  // boot (.7) and sock (.1)
  auto d = decide(with_rules({{"pin-zenith", fb::RuleAction::Pin, 0, 1, {}, {}, zenith},
                              {"pin-sock", fb::RuleAction::Pin, 0, 1, {}, {}, items({4})},
                              {"pin-far", fb::RuleAction::Pin, 0, 50, {}, {}, items({2})}}),
                  R"({"site":"us","slots":[{"id":"all","size":4}]})");
  // boot at 1, sock wanted 1 -> next free 2, runner wanted 50 -> the last place.
  CHECK(ids(d) == Strings{"boot", "sock", "jacket", "runner"});
  CHECK(item(d, "boot")["pinned"] == "pin-zenith");
  CHECK(item(d, "sock")["pinned"] == "pin-sock");
  CHECK(item(d, "runner")["pinned"] == "pin-far");
}

TEST_CASE("rules: hard filters win over pins and boosts") {
  SnapSpec s = with_rules({{"pin-boot", fb::RuleAction::Pin, 0, 1, {}, {}, items({1})},
                           {"boost-novel", fb::RuleAction::Boost, 9.0f, 1, {}, {}, items({3})}});
  s.slots[0].in_stock_only = true;  // boot has no stock; novel is eu-only
  auto d = decide(s, kUs);
  CHECK(ids(d) == Strings{"jacket", "cap", "runner", "sock"});
  CHECK(d["slots"][0]["filtered"]["out_of_stock"] == 1);
  for (auto& it : d["slots"][0]["items"]) CHECK_FALSE(it.contains("pinned"));
}

TEST_CASE("rules: exclude removes matches and is counted as rule:<id>") {
  MatchSpec footwear;
  footwear.categories = {1};
  SnapSpec s = with_rules({{"no-shoes", fb::RuleAction::Exclude, 0, 1, {}, {}, footwear},
                           {"pin-sock", fb::RuleAction::Pin, 0, 1, {}, {}, items({4})},
                           {"elsewhere", fb::RuleAction::Exclude, 0, 1, {1}, {}, items({0})}});
  s.slots.push_back({"second", 0});
  s.slots.back().in_stock_only = false;
  auto d = decide(s, kUs);
  CHECK(ids(d) == Strings{"jacket", "cap"});  // the excluded sock cannot be pinned back
  CHECK(d["slots"][0]["filtered"] == nlohmann::json{{"site_scope", 1}, {"rule:no-shoes", 3}});
  Engine e;
  Bytes snap = build_snapshot(s);
  REQUIRE(e.load_snapshot(snap.span()).ok());
  REQUIRE(e.decide(R"({"site":"us","slots":["second"]})", {}).ok());
  // Both exclude rules apply in slot 1; reported in rule order after the filter reasons.
  CHECK(e.output().find(R"("filtered":{"site_scope":1,"rule:no-shoes":3,"rule:elsewhere":1})") != std::string::npos);
}

TEST_CASE("ranking: ties are broken by catalog index, not by id") {
  auto d = decide(flat_catalog(std::vector<float>(12, 0.5f)), R"({"slots":[{"id":"all","size":12}]})");
  CHECK(ids(d) == Strings{"i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7", "i8", "i9", "i10", "i11"});
  int rank = 1;
  for (auto& it : d["slots"][0]["items"]) CHECK(it["rank"] == rank++);
}

TEST_CASE("ranking: top-k size: slot default, request override, and the max_size cap") {
  SnapSpec s = flat_catalog({0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f, 0.05f, 0.95f});
  CHECK(ids(decide(s, R"({"slots":["all"]})")).size() == 10);
  CHECK(ids(decide(s, R"({"slots":[{"id":"all","size":3}]})")) == Strings{"i9", "i11", "i8"});
  CHECK(ids(decide(s, R"({"slots":[{"id":"all","size":50}]})")).size() == 12);  // fewer candidates
  s.slots[0].size = 2;
  s.slots[0].max_size = 5;
  CHECK(ids(decide(s, R"({"slots":["all"]})")).size() == 2);
  CHECK(ids(decide(s, R"({"slots":[{"id":"all","size":5}]})")).size() == 5);
  Status st = decide_status(s, R"({"slots":[{"id":"all","size":6}]})");
  CHECK(st.code() == Code::kLimitExceeded);
  CHECK(st.message().find("size 6") != std::string::npos);
  CHECK(st.message().find("max_size 5") != std::string::npos);
}
