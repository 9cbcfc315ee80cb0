// Term values, explanations and consent, observed through Engine decisions on rich_catalog().
#include <doctest/doctest.h>

#include <cmath>

#include "fixture.h"

using namespace tailor;
using namespace tailor::test;
using Strings = std::vector<std::string>;
using doctest::Approx;

namespace {

// rich_catalog with one strategy made of `terms`, slot "all" over every item, site us + eu
// visible (no site scoping) so all six items are scored.
SnapSpec scored(std::vector<TermSpec> terms) {
  SnapSpec s = rich_catalog();
  s.strategies = {{"s", std::move(terms)}};
  for (auto& it : s.items) it.site_mask = 0;
  return s;
}

// explain value of term `name` for each item id.
double value(const nlohmann::json& d, std::string_view id, std::string_view name) {
  return num(term(item(d, id), name)["value"]);
}

constexpr const char* kAll = R"({"slots":["all"]})";

}  // namespace

TEST_CASE("terms: attribute term is min-max normalised - missing values score 0") {
  auto d = decide(scored({{fb::TermKind::Attribute, 2.0f, 0}}), kAll);
  // rating: jacket 4, boot 3, runner 5, novel missing, sock 2, cap 3.5; min 2, max 5.
  CHECK(value(d, "runner", "attribute") == Approx(1.0));
  CHECK(value(d, "jacket", "attribute") == Approx(2.0 / 3).epsilon(1e-6));
  CHECK(value(d, "cap", "attribute") == Approx(0.5));
  CHECK(value(d, "sock", "attribute") == 0.0);
  CHECK(value(d, "novel", "attribute") == 0.0);
  auto jacket = term(item(d, "jacket"), "attribute");
  CHECK(num(jacket["weight"]) == 2.0);
  CHECK(num(jacket["contribution"]) == Approx(4.0 / 3).epsilon(1e-6));
  CHECK(num(item(d, "jacket")["score"]) == Approx(4.0 / 3).epsilon(1e-6));
  CHECK(ids(d) == Strings{"runner", "jacket", "cap", "boot", "novel", "sock"});  // novel/sock tie: index
}

TEST_CASE("terms: attribute with max == min scores 1 for present values") {
  SnapSpec s = scored({{fb::TermKind::Attribute, 1.0f, 0}});
  s.attributes[0].range = std::make_pair(3.0f, 3.0f);
  auto d = decide(s, kAll);
  CHECK(value(d, "jacket", "attribute") == 1.0);
  CHECK(value(d, "novel", "attribute") == 0.0);
}

TEST_CASE("terms: popularity, raw and decayed by item age") {
  auto raw = decide(scored({{fb::TermKind::Popularity, 1.0f}}), kAll);
  CHECK(value(raw, "jacket", "popularity") == Approx(0.9));
  CHECK(value(raw, "boot", "popularity") == Approx(0.7));

  // Half-life 10 days at now = built_at: jacket is 10 days old, cap 5, sock 30, novel unknown.
  auto d = decide(scored({{fb::TermKind::Popularity, 1.0f, -1, 10.0f}}), kAll);
  CHECK(value(d, "jacket", "popularity") == Approx(0.45).epsilon(1e-5));
  CHECK(value(d, "cap", "popularity") == Approx(0.6 * std::exp2(-0.5)).epsilon(1e-5));
  CHECK(value(d, "sock", "popularity") == Approx(0.0125).epsilon(1e-4));
  CHECK(value(d, "novel", "popularity") == Approx(0.3));  // unknown age: not decayed
  CHECK(ids(d).front() == "runner");                        // 0.5 * 2^-0.1 beats 0.45

  // The request's `now` is the clock: ten days later jacket is 20 days old.
  auto later = decide(scored({{fb::TermKind::Popularity, 1.0f, -1, 10.0f}}),
                      R"({"now":)" + std::to_string(kBuiltAt + 10 * kDay) + R"(,"slots":["all"]})");
  CHECK(value(later, "jacket", "popularity") == Approx(0.225).epsilon(1e-5));
  CHECK(later["now"] == kBuiltAt + 10 * kDay);
}

TEST_CASE("terms: recency halves per half-life - unknown publish dates score 0") {
  auto d = decide(scored({{fb::TermKind::Recency, 1.0f, -1, 30.0f}}), kAll);
  CHECK(value(d, "sock", "recency") == Approx(0.5).epsilon(1e-5));
  CHECK(value(d, "jacket", "recency") == Approx(std::exp2(-1.0 / 3)).epsilon(1e-5));
  CHECK(value(d, "boot", "recency") == Approx(std::exp2(-10.0 / 3)).epsilon(1e-5));
  CHECK(value(d, "novel", "recency") == 0.0);
  CHECK(ids(d) == Strings{"runner", "cap", "jacket", "sock", "boot", "novel"});
}

TEST_CASE("terms: category affinity, with half inheritance from parents") {
  const SnapSpec s = scored({{fb::TermKind::CategoryAffinity, 1.0f, -1, 0, true}});
  // footwear 0.8: running (its child) inherits 0.4; apparel (its parent) gets nothing.
  Bytes p1 = build_profile({.categories = {{"footwear", 0.8f}, {"unknown-cat", 5.0f}}});
  auto d = decide(s, kAll, &p1);
  CHECK(value(d, "boot", "category_affinity") == Approx(0.8));
  CHECK(value(d, "runner", "category_affinity") == Approx(0.4));
  CHECK(value(d, "sock", "category_affinity") == Approx(0.4));
  CHECK(value(d, "jacket", "category_affinity") == 0.0);
  CHECK(value(d, "novel", "category_affinity") == 0.0);
  // Own affinity wins when larger than the inherited half; grandparents pass on a quarter.
  Bytes p2 = build_profile({.categories = {{"apparel", 1.0f}, {"running", 0.3f}}});
  auto d2 = decide(s, kAll, &p2);
  CHECK(value(d2, "jacket", "category_affinity") == Approx(1.0));
  CHECK(value(d2, "boot", "category_affinity") == Approx(0.5));
  CHECK(value(d2, "runner", "category_affinity") == Approx(0.3));
  Bytes p3 = build_profile({.categories = {{"apparel", 1.0f}, {"running", 0.1f}}});
  CHECK(value(decide(s, kAll, &p3), "runner", "category_affinity") == Approx(0.25));
}

TEST_CASE("terms: brand affinity") {
  Bytes p = build_profile({.brands = {{"zenith", 0.6f}}});
  auto d = decide(scored({{fb::TermKind::BrandAffinity, 0.5f, -1, 0, true}}), kAll, &p);
  CHECK(value(d, "boot", "brand_affinity") == Approx(0.6));
  CHECK(value(d, "sock", "brand_affinity") == Approx(0.6));
  CHECK(value(d, "jacket", "brand_affinity") == 0.0);
  CHECK(value(d, "novel", "brand_affinity") == 0.0);  // no brand
  CHECK(num(term(item(d, "boot"), "brand_affinity")["contribution"]) == Approx(0.3));
}

TEST_CASE("terms: attribute affinity takes the best matching tag, or the categorical value") {
  Bytes p = build_profile({.attributes = {{"tags", "eco", 0.9f}, {"tags", "sale", 0.4f}, {"tags", "trail", 0.2f},
                                          {"tags", "nope", 3.0f}, {"color", "red", 0.7f}, {"size", "m", 2.0f}}});
  auto d = decide(scored({{fb::TermKind::AttributeAffinity, 1.0f, 2, 0, true, "likes_tags"},
                          {fb::TermKind::AttributeAffinity, 1.0f, 1, 0, true, "likes_color"}}),
                  kAll, &p);
  CHECK(value(d, "jacket", "likes_tags") == Approx(0.4));  // sale
  CHECK(value(d, "boot", "likes_tags") == Approx(0.2));    // trail
  CHECK(value(d, "runner", "likes_tags") == Approx(0.9));  // max(eco, trail)
  CHECK(value(d, "sock", "likes_tags") == Approx(0.9));    // max(eco, sale)
  CHECK(value(d, "cap", "likes_tags") == 0.0);             // no tags
  CHECK(value(d, "jacket", "likes_color") == Approx(0.7));
  CHECK(value(d, "cap", "likes_color") == Approx(0.7));
  CHECK(value(d, "boot", "likes_color") == 0.0);
  CHECK(value(d, "novel", "likes_color") == 0.0);  // missing value
}

TEST_CASE("terms: embedding is the cosine of unit vectors (f32 and int8)") {
  Bytes p = build_profile({.embedding = {0.6f, 0.8f}});
  for (bool int8 : {false, true}) {
    CAPTURE(int8);
    SnapSpec s = scored({{fb::TermKind::Embedding, 1.0f, -1, 0, true}});
    s.embedding_int8 = int8;
    auto d = decide(s, kAll, &p);
    const double tol = int8 ? 1e-2 : 1e-6;
    CHECK(value(d, "runner", "embedding") == Approx(1.0).epsilon(tol));
    CHECK(value(d, "novel", "embedding") == Approx(0.96).epsilon(tol));
    CHECK(value(d, "boot", "embedding") == Approx(0.8).epsilon(tol));
    CHECK(value(d, "jacket", "embedding") == Approx(0.6).epsilon(tol));
    CHECK(value(d, "sock", "embedding") == Approx(-0.6).epsilon(tol));
    CHECK(value(d, "cap", "embedding") == Approx(-0.8).epsilon(tol));
    CHECK(ids(d) == Strings{"runner", "novel", "boot", "jacket", "sock", "cap"});
  }
  // A profile vector of another dimension is ignored (value 0), not read out of bounds.
  Bytes wrong = build_profile({.embedding = {1.0f, 0.0f, 0.0f}});
  auto d = decide(scored({{fb::TermKind::Embedding, 1.0f, -1, 0, true}}), kAll, &wrong);
  CHECK(value(d, "runner", "embedding") == 0.0);
}

TEST_CASE("terms: score is the sum of contributions, and contribution = weight * value") {
  Bytes p = build_profile({.categories = {{"footwear", 0.8f}}, .brands = {{"acme", 0.3f}},
                           .attributes = {{"tags", "eco", 0.5f}}, .embedding = {0.6f, 0.8f}});
  auto d = decide(scored({{fb::TermKind::Popularity, 0.7f, -1, 20.0f},
                          {fb::TermKind::Attribute, 0.25f, 0},
                          {fb::TermKind::Recency, -0.5f, -1, 7.0f},
                          {fb::TermKind::CategoryAffinity, 1.5f, -1, 0, true},
                          {fb::TermKind::BrandAffinity, 2.0f, -1, 0, true},
                          {fb::TermKind::AttributeAffinity, 0.3f, 2, 0, true},
                          {fb::TermKind::Embedding, 1.2f, -1, 0, true, "similar"}}),
                  kAll, &p);
  CHECK(d["personalized"] == true);
  REQUIRE(d["slots"][0]["items"].size() == 6);
  for (auto& it : d["slots"][0]["items"]) {
    CAPTURE(it.dump());
    REQUIRE(it["explain"]["terms"].size() == 7);
    double sum = 0;
    for (auto& t : it["explain"]["terms"]) {
      CHECK(num(t["contribution"]) == Approx(num(t["weight"]) * num(t["value"])).epsilon(1e-5));
      sum += num(t["contribution"]);
    }
    CHECK(num(it["score"]) == Approx(sum).epsilon(1e-5));
    CHECK(it["explain"]["rules"].empty());
  }
  // Names default to the term kind; an explicit name wins.
  auto names = nlohmann::json::array();
  for (auto& t : d["slots"][0]["items"][0]["explain"]["terms"]) names.push_back(t["name"]);
  CHECK(names == nlohmann::json{"popularity", "attribute", "recency", "category_affinity", "brand_affinity",
                                "attribute_affinity", "similar"});
  CHECK(d["slots"][0]["terms_off"].empty());
}

TEST_CASE("terms: personal terms need personalization consent - the request's consent decides first") {
  const SnapSpec s = scored({{fb::TermKind::Popularity, 1.0f},
                             {fb::TermKind::CategoryAffinity, 1.0f, -1, 0, true},
                             {fb::TermKind::Embedding, 1.0f, -1, 0, true, "similar"}});
  Bytes consented = build_profile({.categories = {{"books", 1.0f}}, .embedding = {0.8f, 0.6f}});
  Bytes withheld = build_profile({.categories = {{"books", 1.0f}}, .embedding = {0.8f, 0.6f}, .consent = {"ads"}});
  struct Case {
    const char* what;
    const char* request;
    const Bytes* profile;
    bool personalized;
  };
  const Case cases[] = {
      {"no profile", R"({"slots":["all"]})", nullptr, false},
      {"no profile, request consents", R"({"consent":["personalization"],"slots":["all"]})", nullptr, false},
      {"profile consents", R"({"slots":["all"]})", &consented, true},
      {"profile withholds", R"({"slots":["all"]})", &withheld, false},
      {"request withholds over profile", R"({"consent":["analytics"],"slots":["all"]})", &consented, false},
      {"request empty list withholds", R"({"consent":[],"slots":["all"]})", &consented, false},
      {"request consents over profile", R"({"consent":["personalization"],"slots":["all"]})", &withheld, true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    auto d = decide(s, c.request, c.profile);
    CHECK(d["personalized"] == c.personalized);
    auto novel = item(d, "novel");
    REQUIRE(novel.is_object());
    CHECK_FALSE(term(novel, "popularity").is_null());  // non-personal terms always run
    if (c.personalized) {
      CHECK(d["slots"][0]["terms_off"].empty());
      CHECK(value(d, "novel", "category_affinity") == Approx(1.0));
      CHECK(ids(d).front() == "novel");
    } else {
      CHECK(d["slots"][0]["terms_off"] == nlohmann::json{"category_affinity", "similar"});
      CHECK(novel["explain"]["terms"].size() == 1);
      CHECK(num(novel["score"]) == Approx(0.3));
      CHECK(ids(d).front() == "jacket");
    }
  }
}

TEST_CASE("terms: explain false leaves explanations out but keeps the scores") {
  auto d = decide(scored({{fb::TermKind::Popularity, 2.0f}}), R"({"explain":false,"slots":["all"]})");
  auto jacket = item(d, "jacket");
  CHECK_FALSE(jacket.contains("explain"));
  CHECK(num(jacket["score"]) == Approx(1.8));
}
