// Engine: the object every host wraps. Snapshot lifecycle, request-level errors, the decision
// envelope and determinism.
#include <doctest/doctest.h>

#include "fixture.h"
#include "tailor/sha256.h"

using namespace tailor;
using namespace tailor::test;
using Strings = std::vector<std::string>;

TEST_CASE("engine: decide before any snapshot is no_snapshot") {
  Engine e;
  CHECK(e.snapshot() == nullptr);
  Status st = e.decide(R"({"slots":["all"]})", {});
  CHECK(st.code() == Code::kNoSnapshot);
  CHECK(e.output().empty());
}

TEST_CASE("engine: the decision envelope") {
  Bytes snap = build_snapshot(rich_catalog());
  Engine e;
  REQUIRE(e.load_snapshot(snap.span()).ok());
  REQUIRE(e.snapshot() != nullptr);
  CHECK(e.snapshot()->hash() == sha256_hex(snap.span()));
  REQUIRE(e.decide(R"({"tenant":"acme","site":"us","slots":[{"id":"all","size":1}]})", {}).ok());
  auto d = parse(e.output());
  CHECK(d["tenant"] == "acme");
  CHECK(d["snapshot"]["version"] == "v1");
  CHECK(d["snapshot"]["hash"] == e.snapshot()->hash());
  CHECK(d["snapshot"]["built_at"] == kBuiltAt);
  CHECK(d["site"] == "us");
  CHECK(d["now"] == kBuiltAt);  // no `now` in the request: the snapshot's build time
  CHECK(d["personalized"] == false);
  auto slot = d["slots"][0];
  CHECK(slot["id"] == "all");
  CHECK(slot["strategy"] == "pop");
  CHECK(slot["terms_off"].empty());
  auto jacket = slot["items"][0];
  CHECK(jacket["id"] == "jacket");
  CHECK(jacket["rank"] == 1);
  CHECK(jacket["title"] == "Title jacket");
  CHECK(jacket["category"] == "apparel");
  CHECK(jacket["brand"] == "acme");
  // Prices print with 4 decimals from float32: 129.99, not 129.990005.
  CHECK(e.output().find(R"("price":129.99,)") != std::string::npos);
  CHECK(e.output().find(R"("score":0.9,)") != std::string::npos);

  REQUIRE(e.decide(R"({"site":"eu","slots":[{"id":"all","size":6}]})", {}).ok());
  auto eu = parse(e.output());
  CHECK_FALSE(item(eu, "novel").contains("brand"));  // items without a brand omit it
  REQUIRE(e.decide(R"({"slots":["all"]})", {}).ok());
  CHECK_FALSE(parse(e.output()).contains("site"));  // no site requested, none reported
}

TEST_CASE("engine: output is byte-identical across calls and engines") {
  Bytes snap = build_snapshot(rich_catalog());
  Bytes profile = build_profile({.categories = {{"footwear", 0.8f}}, .embedding = {0.6f, 0.8f}});
  const char* req = R"({"site":"us","slots":["all",{"id":"all","size":2}],"exclude":["cap"]})";
  Engine a, b;
  REQUIRE(a.load_snapshot(snap.span()).ok());
  REQUIRE(b.load_snapshot(snap.span()).ok());
  REQUIRE(a.decide(req, profile.span()).ok());
  const std::string first = a.output();
  REQUIRE(a.decide(R"({"slots":["all"]})", {}).ok());  // something else in between
  REQUIRE(a.decide(req, profile.span()).ok());
  CHECK(a.output() == first);
  REQUIRE(b.decide(req, profile.span()).ok());
  CHECK(b.output() == first);
}

TEST_CASE("engine: several slots in one request, in request order") {
  SnapSpec s = rich_catalog();
  s.strategies.push_back({"fresh", {{fb::TermKind::Recency, 1.0f, -1, 30.0f}}});
  s.slots.push_back({"new", 1, fb::SourceKind::All, -1, 2});
  auto d = decide(s, R"({"site":"us","slots":["new",{"id":"all","size":3},"new"]})");
  REQUIRE(d["slots"].size() == 3);
  CHECK(d["slots"][0]["id"] == "new");
  CHECK(d["slots"][0]["strategy"] == "fresh");
  CHECK(ids(d, 0) == Strings{"runner", "cap"});
  CHECK(d["slots"][1]["strategy"] == "pop");
  CHECK(ids(d, 1) == Strings{"jacket", "boot", "cap"});
  CHECK(d["slots"][2] == d["slots"][0]);
}

TEST_CASE("engine: request-level errors") {
  SnapSpec s = rich_catalog();
  s.slots.push_back({"shoes", 0, fb::SourceKind::Category, 1});

  Status unknown = decide_status(s, R"({"slots":["all","nope"]})");
  CHECK(unknown.code() == Code::kUnknownSlot);
  CHECK(unknown.message().find("'nope'") != std::string::npos);
  CHECK(unknown.message().find("all, shoes") != std::string::npos);

  Status tenant = decide_status(s, R"({"tenant":"globex","slots":["all"]})");
  CHECK(tenant.code() == Code::kInvalidArgument);
  CHECK(tenant.message().find("'globex'") != std::string::npos);
  CHECK(tenant.message().find("'acme'") != std::string::npos);
  CHECK(decide_status(s, R"({"tenant":"acme","slots":["all"]})").ok());

  Status site = decide_status(s, R"({"site":"mars","slots":["all"]})");
  CHECK(site.code() == Code::kInvalidArgument);
  CHECK(site.message().find("request.site") != std::string::npos);
  CHECK(site.message().find("'mars'") != std::string::npos);

  CHECK(decide_status(s, "not json").code() == Code::kParseError);
  CHECK(decide_status(s, R"({"slots":[{"id":"all","size":0}]})").code() == Code::kInvalidArgument);

  Bytes bad_profile = build_snapshot(s);  // snapshot bytes are not a profile
  CHECK(decide_status(s, R"({"slots":["all"]})", &bad_profile).code() == Code::kProfileInvalid);
}

TEST_CASE("engine: a failed decide leaves no partial output") {
  Bytes snap = build_snapshot(rich_catalog());
  Engine e;
  REQUIRE(e.load_snapshot(snap.span()).ok());
  REQUIRE(e.decide(R"({"slots":["all"]})", {}).ok());
  CHECK_FALSE(e.output().empty());
  CHECK(e.decide(R"({"slots":["all","missing"]})", {}).code() == Code::kUnknownSlot);
  CHECK(e.output().empty());
}

TEST_CASE("engine: a failed load keeps the previous snapshot serving") {
  SnapSpec v1 = rich_catalog();
  SnapSpec v2 = rich_catalog();
  v2.version = "v2";
  Bytes b1 = build_snapshot(v1), b2 = build_snapshot(v2);
  Engine e;
  REQUIRE(e.load_snapshot(b1.span()).ok());

  SnapSpec wrong_id = v2;
  wrong_id.identifier = "ABCD";
  SnapSpec newer = v2;
  newer.min_engine = kFeatureLevel + 1;
  SnapSpec broken = v2;
  broken.categories[0].parent = 2;
  const Bytes failures[] = {build_snapshot(wrong_id), build_snapshot(newer), build_snapshot(broken),
                            b2.prefix(b2.size() / 2), Bytes()};
  for (const Bytes& f : failures) {
    CHECK_FALSE(e.load_snapshot(f.span()).ok());
    REQUIRE(e.decide(R"({"slots":["all"]})", {}).ok());
    CHECK(parse(e.output())["snapshot"]["version"] == "v1");
    CHECK(e.snapshot()->hash() == sha256_hex(b1.span()));
  }
  REQUIRE(e.load_snapshot(b2.span()).ok());
  REQUIRE(e.decide(R"({"slots":["all"]})", {}).ok());
  CHECK(parse(e.output())["snapshot"]["version"] == "v2");
}

TEST_CASE("engine: the engine keeps its own copy of the snapshot bytes") {
  Engine e;
  {
    Bytes snap = build_snapshot(rich_catalog());
    REQUIRE(e.load_snapshot(snap.span()).ok());
    std::fill(snap.data(), snap.data() + snap.size(), uint8_t{0xEE});  // the caller reuses its buffer
  }
  REQUIRE(e.decide(R"({"site":"us","slots":["all"]})", {}).ok());
  CHECK(ids(parse(e.output())).front() == "jacket");
}

TEST_CASE("engine: unaligned snapshot and profile buffers are accepted") {
  // Hosts hand in bytes at whatever address they have (a Node Buffer slice, a wasm heap offset).
  Bytes snap = build_snapshot(rich_catalog());
  Bytes profile = build_profile({.categories = {{"books", 1.0f}}});
  std::vector<uint8_t> s(snap.size() + 1), p(profile.size() + 1);
  std::copy(snap.data(), snap.data() + snap.size(), s.begin() + 1);
  std::copy(profile.data(), profile.data() + profile.size(), p.begin() + 1);
  Engine e;
  REQUIRE(e.load_snapshot({s.data() + 1, snap.size()}).ok());
  Status st = e.decide(R"({"site":"eu","slots":["all"]})", {p.data() + 1, profile.size()});
  INFO(st.message());
  CHECK(st.ok());
}

TEST_CASE("engine: limits from EngineLimits apply") {
  Bytes snap = build_snapshot(rich_catalog());
  EngineLimits limits;
  limits.snapshot.max_bytes = snap.size() - 1;
  Engine small(limits);
  CHECK(small.load_snapshot(snap.span()).code() == Code::kLimitExceeded);

  limits = {};
  limits.request.max_slots = 1;
  limits.pipeline.max_candidates = 3;
  Engine tight(limits);
  REQUIRE(tight.load_snapshot(snap.span()).ok());
  CHECK(tight.decide(R"({"slots":["all","all"]})", {}).code() == Code::kLimitExceeded);
  Status st = tight.decide(R"({"slots":["all"]})", {});  // 6 candidates over a cap of 3
  CHECK(st.code() == Code::kLimitExceeded);
  CHECK(st.message().find("candidates") != std::string::npos);
}
