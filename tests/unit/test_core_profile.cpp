// Profile::open verifies visitor profile bytes before the pipeline reads affinities from them.
#include <doctest/doctest.h>

#include "fixture.h"
#include "tailor/profile.h"

using namespace tailor;
using namespace tailor::test;

TEST_CASE("profile: a valid profile opens and reports its consent") {
  Bytes bytes = build_profile({.user_hash = "abc123", .categories = {{"running", 0.7f}},
                               .consent = {"analytics", "personalization"}});
  auto p = Profile::open(bytes.span());
  REQUIRE(p.ok());
  CHECK(sv(p->root().user_hash()) == "abc123");
  REQUIRE(p->root().categories());
  CHECK(p->root().categories()->size() == 1);
  CHECK(p->has_consent("personalization"));
  CHECK(p->has_consent("analytics"));
  CHECK_FALSE(p->has_consent("ads"));
  CHECK_FALSE(p->has_consent("personal"));  // whole-string match, not prefix
}

TEST_CASE("profile: no consent record means no consent") {
  Bytes bytes = build_profile({.consent = {}});
  auto p = Profile::open(bytes.span());
  REQUIRE(p.ok());
  CHECK_FALSE(p->has_consent("personalization"));
  CHECK_FALSE(Profile().has_consent("personalization"));
}

TEST_CASE("profile: wrong file identifier") {
  // A snapshot is not a profile.
  Bytes snap = build_snapshot(flat_catalog({0.5f}));
  auto r = Profile::open(snap.span());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kProfileInvalid);
  CHECK(r.status().message().find("TPRF") != std::string::npos);

  Bytes other = build_profile({.identifier = "XXXX"});
  CHECK(Profile::open(other.span()).status().code() == Code::kProfileInvalid);
}

TEST_CASE("profile: every truncation is an error") {
  Bytes bytes = build_profile({.categories = {{"a", 1}}, .brands = {{"b", 0.5f}},
                               .attributes = {{"tags", "eco", 0.2f}}, .embedding = {0.6f, 0.8f},
                               .recent_viewed = {"x"}, .recent_bought = {"y"}});
  for (size_t n = 0; n + 3 < bytes.size(); ++n) {  // the last 3 bytes may be string padding
    CAPTURE(n);
    auto r = Profile::open(bytes.prefix(n).span());
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kProfileInvalid);
  }
}

TEST_CASE("profile: size limit") {
  Bytes bytes = build_profile({});
  ProfileLimits limits;
  limits.max_bytes = bytes.size() - 1;
  CHECK(Profile::open(bytes.span(), limits).status().code() == Code::kLimitExceeded);
  limits.max_bytes = bytes.size();
  CHECK(Profile::open(bytes.span(), limits).ok());
}
