// Candidates per slot source and the hard filters, observed through Engine decisions.
// Catalog: rich_catalog() in fixture.h (popularity ranks jacket > boot > cap > runner > novel > sock).
#include <doctest/doctest.h>

#include "fixture.h"

using namespace tailor;
using namespace tailor::test;
using Strings = std::vector<std::string>;

namespace {
SnapSpec with_slot(SlotSpec slot) {
  SnapSpec s = rich_catalog();
  s.slots.push_back(slot);
  return s;
}
}  // namespace

TEST_CASE("pipeline: source all: every item, ranked by score") {
  auto d = decide(rich_catalog(), R"({"site":"us","slots":["all"]})");
  CHECK(ids(d) == Strings{"jacket", "boot", "cap", "runner", "sock"});
  CHECK(d["slots"][0]["candidates"] == 6);
  CHECK(d["slots"][0]["filtered"] == nlohmann::json{{"site_scope", 1}});  // novel is eu-only
}

TEST_CASE("pipeline: source category includes descendant categories") {
  // footwear (1) has running (2) below it; apparel (0) is above both.
  SnapSpec s = with_slot({"footwear", 0, fb::SourceKind::Category, 1});
  s.slots.push_back({"apparel", 0, fb::SourceKind::Category, 0});
  s.slots.push_back({"running", 0, fb::SourceKind::Category, 2});
  s.slots.back().in_stock_only = false;
  s.slots[1].in_stock_only = false;
  s.slots[2].in_stock_only = false;
  auto d = decide(s, R"({"site":"us","slots":["footwear","apparel","running"]})");
  CHECK(ids(d, 0) == Strings{"boot", "runner", "sock"});
  CHECK(d["slots"][0]["candidates"] == 3);
  CHECK(ids(d, 1) == Strings{"jacket", "boot", "cap", "runner", "sock"});
  CHECK(d["slots"][1]["candidates"] == 5);  // novel is in books
  CHECK(ids(d, 2) == Strings{"runner", "sock"});
}

TEST_CASE("pipeline: source collection: only its members, ranked by score") {
  SnapSpec s = with_slot({"picks", 0, fb::SourceKind::Collection, 0});
  s.slots.back().in_stock_only = false;
  s.collections = {{"picks", {4, 5, 1}}, {"empty", {}}};
  s.slots.push_back({"none", 0, fb::SourceKind::Collection, 1});
  auto d = decide(s, R"({"slots":["picks","none"]})");
  CHECK(ids(d, 0) == Strings{"boot", "cap", "sock"});
  CHECK(d["slots"][0]["candidates"] == 3);
  CHECK(ids(d, 1).empty());
  CHECK(d["slots"][1]["candidates"] == 0);
}

TEST_CASE("pipeline: source request: the request's ids, de-duplicated - unknown ids are counted") {
  SnapSpec s = with_slot({"compare", 0, fb::SourceKind::Request});
  s.slots.back().in_stock_only = false;
  auto d = decide(s, R"({"slots":[{"id":"compare","items":["cap","nope","boot","cap","gone"]}]})");
  CHECK(ids(d) == Strings{"boot", "cap"});
  CHECK(d["slots"][0]["candidates"] == 4);  // cap, boot and the two unknown ids
  CHECK(d["slots"][0]["filtered"] == nlohmann::json{{"unknown_item", 2}});
  auto empty = decide(s, R"({"slots":["compare"]})");
  CHECK(ids(empty).empty());
  CHECK(empty["slots"][0]["candidates"] == 0);
}

TEST_CASE("pipeline: deny lists, tenant-wide and per site") {
  SnapSpec s = rich_catalog();
  s.deny_lists = {{-1, {0}}, {1, {1, 4}}};  // jacket everywhere; boot and sock on eu
  auto none = decide(s, R"({"slots":["all"]})");
  CHECK(ids(none) == Strings{"boot", "cap", "sock"});
  CHECK(none["slots"][0]["filtered"]["deny_list"] == 1);
  auto us = decide(s, R"({"site":"us","slots":["all"]})");
  CHECK(ids(us) == Strings{"boot", "cap", "runner", "sock"});
  CHECK(us["slots"][0]["filtered"]["deny_list"] == 1);
  auto eu = decide(s, R"({"site":"eu","slots":["all"]})");
  CHECK(ids(eu) == Strings{"cap", "novel"});
  CHECK(eu["slots"][0]["filtered"]["deny_list"] == 3);
  CHECK(eu["slots"][0]["filtered"]["site_scope"] == 1);  // runner is us-only
}

TEST_CASE("pipeline: request exclude - unknown ids in it are ignored") {
  auto d = decide(rich_catalog(), R"({"site":"us","exclude":["cap","jacket","nope"],"slots":["all"]})");
  CHECK(ids(d) == Strings{"boot", "runner", "sock"});
  CHECK(d["slots"][0]["filtered"] == nlohmann::json{{"request_exclude", 2}, {"site_scope", 1}});
}

TEST_CASE("pipeline: site scope: other sites' items are hidden, and all scoped items without a site") {
  auto eu = decide(rich_catalog(), R"({"site":"eu","slots":["all"]})");
  CHECK(ids(eu) == Strings{"jacket", "boot", "cap", "novel", "sock"});
  CHECK(eu["slots"][0]["filtered"]["site_scope"] == 1);
  auto none = decide(rich_catalog(), R"({"slots":["all"]})");
  CHECK(ids(none) == Strings{"jacket", "boot", "cap", "sock"});
  CHECK(none["slots"][0]["filtered"]["site_scope"] == 2);
}

TEST_CASE("pipeline: out of stock only when the slot is in_stock_only - unknown stock is available") {
  SnapSpec s = rich_catalog();
  s.slots[0].in_stock_only = true;
  auto d = decide(s, R"({"site":"eu","slots":["all"]})");
  CHECK(ids(d) == Strings{"jacket", "cap", "novel", "sock"});  // boot has 0; novel, sock unknown
  CHECK(d["slots"][0]["filtered"]["out_of_stock"] == 1);
  auto off = decide(rich_catalog(), R"({"site":"eu","slots":["all"]})");
  CHECK(ids(off) == Strings{"jacket", "boot", "cap", "novel", "sock"});
  CHECK_FALSE(off["slots"][0]["filtered"].contains("out_of_stock"));
}

TEST_CASE("pipeline: already purchased needs consent and the slot's exclude_purchased") {
  Bytes consented = build_profile({.recent_bought = {"cap", "nope"}});
  Bytes withheld = build_profile({.recent_bought = {"cap"}, .consent = {}});
  const char* req = R"({"site":"us","slots":["all"]})";
  auto d = decide(rich_catalog(), req, &consented);
  CHECK(ids(d) == Strings{"jacket", "boot", "runner", "sock"});
  CHECK(d["slots"][0]["filtered"]["already_purchased"] == 1);

  auto no_consent = decide(rich_catalog(), req, &withheld);
  CHECK(ids(no_consent) == Strings{"jacket", "boot", "cap", "runner", "sock"});
  CHECK_FALSE(no_consent["slots"][0]["filtered"].contains("already_purchased"));

  auto request_withholds = decide(rich_catalog(), R"({"site":"us","consent":[],"slots":["all"]})", &consented);
  CHECK(ids(request_withholds).size() == 5);

  SnapSpec keep = rich_catalog();
  keep.slots[0].exclude_purchased = false;
  CHECK(ids(decide(keep, req, &consented)).size() == 5);
}

TEST_CASE("pipeline: already viewed only when the slot asks for it") {
  Bytes profile = build_profile({.recent_viewed = {"jacket", "boot"}});
  const char* req = R"({"site":"us","slots":["all"]})";
  CHECK(ids(decide(rich_catalog(), req, &profile)).size() == 5);  // exclude_viewed defaults to false
  SnapSpec s = rich_catalog();
  s.slots[0].exclude_viewed = true;
  auto d = decide(s, req, &profile);
  CHECK(ids(d) == Strings{"cap", "runner", "sock"});
  CHECK(d["slots"][0]["filtered"]["already_viewed"] == 2);
}

TEST_CASE("pipeline: each item is counted once, by the first filter in the documented order") {
  SnapSpec s = rich_catalog();
  s.slots[0].in_stock_only = true;
  s.slots[0].exclude_viewed = true;
  s.deny_lists = {{-1, {1}}};  // boot: denied, out of stock, excluded, viewed and bought
  Bytes profile = build_profile({.recent_viewed = {"boot", "cap"}, .recent_bought = {"boot", "cap"}});
  auto engine_out = [&](std::string_view req) {
    Engine e;
    Bytes snap = build_snapshot(s);
    REQUIRE(e.load_snapshot(snap.span()).ok());
    REQUIRE(e.decide(req, profile.span()).ok());
    return e.output();
  };
  std::string out = engine_out(R"({"exclude":["boot","runner"],"slots":["all"]})");
  // Keys appear in filter order; runner (excluded and us-only) counts as request_exclude.
  CHECK(out.find(R"("filtered":{"deny_list":1,"request_exclude":1,"site_scope":1,"already_purchased":1})") !=
        std::string::npos);
  auto d = parse(out);
  CHECK(ids(d) == Strings{"jacket", "sock"});
  CHECK(d["slots"][0]["candidates"] == 6);
}
