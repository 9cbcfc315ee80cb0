// Diversity end to end: config -> tailor build -> engine decision. Brand/category caps demote or
// drop what is over them (pins keep their places and count), MMR trades score for dissimilarity
// on item embeddings (f32 and int8 alike), explanations say what moved, and bad diversity config
// fails the build with a located message.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tailor/diversity.h"
#include "tailor/engine.h"
#include "tailor/snapshot.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
namespace st = tailor::sync::test;
using nlohmann::json;
using V = std::vector<std::string>;

namespace {

// Scores come from the `score` attribute (min-max normalised: 10 -> 1, 0 -> 0), so the expected
// orders below can be worked out by hand.
constexpr const char* kItems =
    "id,title,category,brand,score,embedding\n"
    "a1,A1,shoes,acme,10,1 0 0\n"
    "a2,A2,shoes,acme,9,1 0 0\n"
    "a3,A3,shoes,acme,8,0.9 0.1 0\n"
    "b1,B1,shoes,bolt,7,0.8 0.2 0\n"
    "c1,C1,hats,cap,5,0 1 0\n"
    "c2,C2,hats,acme,4,0 0.9 0.1\n"
    "d1,D1,bags,dune,2,0 0 1\n"
    "x1,X1,,,0,0 0 0\n";

json config(const json& diversity, const std::string& format = "f32") {
  json c = json::parse(R"({
    "schema": 1, "tenant": {"id": "div"}, "version": "d1", "built_at": 1763000000,
    "items": {"path": "items.csv"},
    "attributes": [{"name": "score", "type": "number"}],
    "strategies": [{"id": "s", "terms": [{"kind": "attribute", "attribute": "score"}]}],
    "slots": [{"id": "top", "strategy": "s", "size": 8}]
  })");
  c["embedding"] = {{"dim", 3}, {"format", format}};
  if (!diversity.is_null()) c["slots"][0]["diversity"] = diversity;
  return c;
}

using Built = st::BuiltEngine;

void build(Built& b, const json& cfg) { st::build_and_load(b, cfg, {{"items.csv", kItems}}); }

json decide(Built& b, const std::string& request = R"({"slots": ["top"]})") {
  Status s = b.engine.decide(request, {});
  INFO(s.message());
  REQUIRE(s.ok());
  return json::parse(b.engine.output());
}

V ids(const json& d) {
  V out;
  for (const json& it : d["slots"][0]["items"]) out.push_back(it["id"]);
  return out;
}

const json& item(const json& d, const std::string& id) {
  for (const json& it : d["slots"][0]["items"])
    if (it["id"] == id) return it;
  static const json none;
  return none;
}

std::string build_error(const json& diversity, const std::string& format = "f32", bool embeddings = true) {
  st::TempDir dir;
  dir.write("items.csv", kItems);
  json cfg = config(diversity, format);
  if (!embeddings) cfg.erase("embedding");
  st::BuildRun run = st::build_in(dir, cfg);
  CHECK_FALSE(run.ok);
  return st::joined(run.errors);
}

}  // namespace

TEST_CASE("diversity: no config ranks by score alone and writes no diversity keys") {
  Built b;
  build(b, config(nullptr));
  json d = decide(b);
  CHECK(ids(d) == V{"a1", "a2", "a3", "b1", "c1", "c2", "d1", "x1"});
  CHECK_FALSE(d["slots"][0].contains("diversity"));
  CHECK_FALSE(item(d, "c1")["explain"].contains("diversity"));
}

TEST_CASE("diversity: a brand cap demotes the items over it after every within-cap item") {
  Built b;
  build(b, config({{"max_per_brand", 2}}));
  json d = decide(b);
  // acme: a1, a2 within the cap; a3 and c2 go after the rest, in score order. No brand: no cap.
  CHECK(ids(d) == V{"a1", "a2", "b1", "c1", "d1", "x1", "a3", "c2"});
  const json& s = d["slots"][0]["diversity"];
  CHECK(s["capped_brand"] == 2);
  CHECK(s["capped_category"] == 0);
  CHECK(s["demoted"] == 2);
  CHECK(s["dropped"] == 0);
  CHECK(s["moved"] == 6);  // b1..x1 moved up, a3 and c2 down
  const json& a3 = item(d, "a3")["explain"]["diversity"];
  CHECK(a3["over_cap"] == "brand");
  CHECK(a3["score_rank"] == 3);
  CHECK_FALSE(a3.contains("similarity"));
  CHECK(item(d, "b1")["explain"]["diversity"]["score_rank"] == 4);
  CHECK_FALSE(item(d, "a1")["explain"].contains("diversity"));  // not moved: no note
}

TEST_CASE("diversity: drop removes over-cap items and the list can come out shorter") {
  Built b;
  build(b, config({{"max_per_category", 1}, {"over_cap", "drop"}}));
  json d = decide(b);
  CHECK(ids(d) == V{"a1", "c1", "d1", "x1"});  // x1 has no category: never capped
  const json& s = d["slots"][0]["diversity"];
  CHECK(s["capped_category"] == 4);
  CHECK(s["dropped"] == 4);
  CHECK(s["demoted"] == 0);
}

TEST_CASE("diversity: pins keep their places and count toward the caps") {
  Built b;
  json cfg = config({{"max_per_brand", 2}});
  cfg["rules"] = json::parse(R"([{"id": "pin-c2", "action": "pin", "position": 1, "match": {"items": ["c2"]}}])");
  build(b, cfg);
  json d = decide(b);
  // c2 (acme) pinned first: only one more acme item fits before the over-cap ones.
  CHECK(ids(d) == V{"c2", "a1", "b1", "c1", "d1", "x1", "a2", "a3"});
  CHECK(item(d, "c2")["pinned"] == "pin-c2");
  CHECK_FALSE(item(d, "c2")["explain"].contains("diversity"));
  CHECK(item(d, "a2")["explain"]["diversity"]["over_cap"] == "brand");
  CHECK(item(d, "a2")["explain"]["diversity"]["score_rank"] == 3);
}

TEST_CASE("diversity: MMR trades normalised score for dissimilarity to what is already chosen") {
  Built b;
  build(b, config({{"mmr", {{"lambda", 0.5}, {"window", 8}}}}));
  json d = decide(b);
  // a1 first (best score, nothing chosen). a2 is a copy of a1 (similarity 1): 0.5*0.9 - 0.5 < 0,
  // while d1 (orthogonal to a1) scores 0.5*0.2 - 0 and c1 0.5*0.5 - 0.
  V got = ids(d);
  REQUIRE(got.size() == 8);
  CHECK(got[0] == "a1");
  CHECK(got[1] == "c1");
  CHECK(got[2] == "d1");
  CHECK(got[3] == "x1");  // a zero vector: similarity 0 beats a2's 0.45 - 0.5
  CHECK(V(got.begin() + 4, got.end()) == V{"a2", "a3", "b1", "c2"});
  const json& c1 = item(d, "c1")["explain"]["diversity"];
  CHECK(c1["score_rank"] == 5);
  CHECK(c1["similarity"] == 0);
  CHECK(c1["penalty"] == 0);
  const json& a2 = item(d, "a2")["explain"]["diversity"];
  CHECK(a2["similarity"].get<double>() > 0.9);
  CHECK(a2["penalty"].get<double>() == doctest::Approx(a2["similarity"].get<double>() * 0.5).epsilon(1e-5));
  CHECK(d["slots"][0]["diversity"]["moved"].get<int>() > 0);
}

TEST_CASE("diversity: MMR with lambda 1 keeps the score order") {
  Built b;
  build(b, config({{"mmr", {{"lambda", 1}, {"window", 8}}}}));
  json d = decide(b);
  CHECK(ids(d) == V{"a1", "a2", "a3", "b1", "c1", "c2", "d1", "x1"});
  CHECK(d["slots"][0]["diversity"]["moved"] == 0);
}

TEST_CASE("diversity: MMR re-ranks only its window, the rest follows in score order") {
  Built b;
  build(b, config({{"mmr", {{"lambda", 0.5}, {"window", 3}}}}));
  json d = decide(b);
  // Within the window (a1, a2, a3; normalised 1, 0.5, 0) a2 still beats a3 after a1, and c1,
  // which window 8 brings up to second place, is outside it: the list stays in score order.
  CHECK(ids(d) == V{"a1", "a2", "a3", "b1", "c1", "c2", "d1", "x1"});
}

TEST_CASE("diversity: int8 embeddings decide like f32 ones where quantisation keeps the order") {
  Built f, q;
  json div = {{"max_per_brand", 2}, {"mmr", {{"lambda", 0.5}, {"window", 8}}}};
  build(f, config(div, "f32"));
  build(q, config(div, "int8"));
  CHECK(ids(decide(f)) == ids(decide(q)));
  Result<Snapshot> opened = Snapshot::open(q.run.snap.bytes);
  REQUIRE(opened.ok());
  const Snapshot& snap = opened.value();
  // a1 and a2 quantise to the same row: cosine exactly 1; orthogonal rows: exactly 0.
  CHECK(item_similarity(snap, 0, 1) == 1.0f);
  CHECK(item_similarity(snap, 0, 6) == 0.0f);
  CHECK(item_similarity(snap, 0, 7) == 0.0f);  // zero vector
  const float s = item_similarity(snap, 0, 2);
  CHECK(s == doctest::Approx(0.9 / std::sqrt(0.82)).epsilon(0.01));
}

TEST_CASE("diversity: caps apply to request-sourced slots") {
  Built b;
  json cfg = config({{"max_per_category", 1}});
  cfg["slots"][0]["source"] = {{"kind", "request"}};
  build(b, cfg);
  json d = decide(b, R"({"slots": [{"id": "top", "items": ["c2", "a3", "c1", "a1"]}]})");
  CHECK(ids(d) == V{"a1", "c1", "a3", "c2"});
}

TEST_CASE("diversity: bad config fails the build with a located message") {
  CHECK(build_error({{"mmr", {{"lambda", 1.5}, {"window", 10}}}})
            .find("tailor.json: slots[0].diversity.mmr.lambda: 1.5 is outside [0, 1]") != std::string::npos);
  CHECK(build_error({{"mmr", {{"lambda", 0.5}, {"window", 1}}}}).find("slots[0].diversity.mmr.window") !=
        std::string::npos);
  CHECK(build_error({{"mmr", {{"lambda", 0.5}, {"window", 1001}}}}).find("slots[0].diversity.mmr.window") !=
        std::string::npos);
  CHECK(build_error({{"mmr", {{"window", 10}}}}).find("slots[0].diversity.mmr.lambda") != std::string::npos);
  CHECK(build_error({{"mmr", {{"lambda", 0.5}, {"window", 10}}}}, "f32", false)
            .find("slots[0].diversity.mmr: MMR needs item embeddings") != std::string::npos);
  CHECK(build_error({{"max_per_brand", 0}}).find("slots[0].diversity.max_per_brand") != std::string::npos);
  CHECK(build_error({{"max_per_brand", 2}, {"over_cap", "hide"}})
            .find("slots[0].diversity.over_cap: unknown mode 'hide' (expected one of: demote, drop)") !=
        std::string::npos);
  CHECK(build_error({{"over_cap", "drop"}}).find("slots[0].diversity.over_cap: over_cap needs max_per_brand") !=
        std::string::npos);
  CHECK(build_error(json::object()).find("slots[0].diversity: diversity needs at least one of") != std::string::npos);
  CHECK(build_error({{"max_per_brnd", 2}}).find("slots[0].diversity") != std::string::npos);
}

TEST_CASE("diversity: a cap on a custom attribute must name a categorical attribute on items") {
  // The fixture declares `score` (a number): not a cap attribute.
  CHECK(build_error({{"max_per_attribute", {{"attribute", "score"}, {"max", 2}}}})
            .find("slots[0].diversity.max_per_attribute.attribute: attribute 'score' is not categorical") !=
        std::string::npos);
  CHECK(build_error({{"max_per_attribute", {{"attribute", "line"}, {"max", 2}}}})
            .find("slots[0].diversity.max_per_attribute.attribute: unknown attribute 'line'") != std::string::npos);
  CHECK(build_error({{"max_per_attribute", {{"attribute", "score"}}}}).find("slots[0].diversity.max_per_attribute.max") !=
        std::string::npos);
}
