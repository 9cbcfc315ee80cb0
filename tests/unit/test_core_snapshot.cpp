// Snapshot::open is the trust boundary for snapshot bytes: it must reject anything the pipeline
// could not read safely, with a code that says why, and never crash.
#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>

#include "fixture.h"
#include "tailor/sha256.h"
#include "tailor/snapshot.h"

using namespace tailor;
using namespace tailor::test;

namespace {

// rich_catalog plus every kind of slot, term, rule and deny list, so corruption reaches them all.
SnapSpec full_spec() {
  SnapSpec s = rich_catalog();
  s.collections = {{"picks", {5, 0, 2}}};
  s.strategies.push_back({"personal",
                          {{fb::TermKind::CategoryAffinity, 1.0f, -1, 0, true},
                           {fb::TermKind::BrandAffinity, 0.5f, -1, 0, true},
                           {fb::TermKind::AttributeAffinity, 0.3f, 2, 0, true},
                           {fb::TermKind::AttributeAffinity, 0.3f, 1, 0, true},
                           {fb::TermKind::Embedding, 1.0f, -1, 0, true},
                           {fb::TermKind::Attribute, 0.5f, 0},
                           {fb::TermKind::Recency, 0.2f, -1, 30.0f},
                           {fb::TermKind::Popularity, 0.2f, -1, 365.0f}}});
  s.slots.push_back({"shoes", 1, fb::SourceKind::Category, 1, 3});
  s.slots.push_back({"picks", 1, fb::SourceKind::Collection, 0, 2});
  s.slots.push_back({"compare", 1, fb::SourceKind::Request, -1, 2});
  MatchSpec sale;
  sale.attribute = 2;
  sale.values = {1};
  MatchSpec cheap;
  cheap.number_attribute = 0;
  cheap.number_max = 3.0f;
  MatchSpec shoes;
  shoes.categories = {1};
  shoes.brands = {0, 1};
  MatchSpec cap;
  cap.items = {5};
  s.rules = {{"boost-sale", fb::RuleAction::Boost, 0.3f, 1, {0}, {}, sale},
             {"bury-shoes", fb::RuleAction::Bury, 0.2f, 1, {}, {0}, shoes, kBuiltAt - 10, kBuiltAt + 10},
             {"pin-cap", fb::RuleAction::Pin, 0, 2, {}, {}, cap},
             {"drop-low", fb::RuleAction::Exclude, 0, 1, {1}, {}, cheap}};
  s.deny_lists = {{-1, {3}}, {1, {0, 4}}};
  return s;
}

Status open_status(const SnapSpec& spec) { return Snapshot::open(build_snapshot(spec).span()).status(); }

}  // namespace

TEST_CASE("snapshot: a valid snapshot opens with its counts and hash") {
  Bytes bytes = build_snapshot(full_spec());
  auto snap = Snapshot::open(bytes.span());
  REQUIRE(snap.ok());
  CHECK(snap->item_count() == 6);
  CHECK(snap->embedding_dim() == 2);
  CHECK(snap->byte_size() == bytes.size());
  CHECK(snap->hash() == sha256_hex(bytes.span()));
  CHECK(snap->hash().size() == 64);
  CHECK(sv(snap->root().tenant()->id()) == "acme");
  CHECK(sv(snap->root().version()) == "v1");
}

TEST_CASE("snapshot: lookups") {
  Bytes bytes = build_snapshot(full_spec());
  auto snap = Snapshot::open(bytes.span());
  REQUIRE(snap.ok());
  const Snapshot& s = snap.value();
  // Ids are not in index order, so this exercises the id_order binary search.
  const char* ids[] = {"jacket", "boot", "runner", "novel", "sock", "cap"};
  for (int i = 0; i < 6; ++i) CHECK(s.find_item(ids[i]) == i);
  CHECK(s.find_item("") == -1);
  CHECK(s.find_item("aaa") == -1);
  CHECK(s.find_item("zzz") == -1);
  CHECK(s.find_item("jacke") == -1);
  CHECK(s.find_slot("picks") == 2);
  CHECK(s.find_slot("nope") == -1);
  CHECK(s.find_site("eu") == 1);
  CHECK(s.find_category("running") == 2);
  CHECK(s.find_brand("zenith") == 1);
  CHECK(s.find_attribute("tags") == 2);
  CHECK(s.find_attribute("size") == -1);
  CHECK(s.find_code(1, "blue") == 0);
  CHECK(s.find_code(1, "red") == 2);
  CHECK(s.find_code(2, "trail") == 2);
  CHECK(s.find_code(1, "purple") == kMissingCode);
  CHECK(s.find_code(0, "blue") == kMissingCode);   // number attribute: no dictionary
  CHECK(s.find_code(9, "blue") == kMissingCode);   // out of range
  CHECK(s.find_code(-1, "blue") == kMissingCode);
  // running -> footwear -> apparel; books is a separate root.
  CHECK(s.category_within(2, 2));
  CHECK(s.category_within(2, 1));
  CHECK(s.category_within(2, 0));
  CHECK_FALSE(s.category_within(0, 2));
  CHECK_FALSE(s.category_within(3, 0));
  CHECK_FALSE(s.category_within(-1, 0));
}

TEST_CASE("snapshot: lookups without id_order and with an unsorted dictionary fall back to scans") {
  SnapSpec spec = full_spec();
  spec.with_id_order = false;
  spec.attributes[1].dict = {"red", "blue", "green"};  // not sorted
  spec.attributes[1].codes = {0, 1, 2, kMissingCode, 1, 0};
  Bytes bytes = build_snapshot(spec);
  auto snap = Snapshot::open(bytes.span());
  REQUIRE(snap.ok());
  CHECK(snap->find_item("sock") == 4);
  CHECK(snap->find_item("nope") == -1);
  CHECK(snap->find_code(1, "red") == 0);
  CHECK(snap->find_code(1, "blue") == 1);
  CHECK(snap->find_code(1, "green") == 2);
}

TEST_CASE("snapshot: every truncation is an error") {
  Bytes bytes = build_snapshot(full_spec());
  int padding_only = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    CAPTURE(n);
    auto r = Snapshot::open(bytes.prefix(n).span());
    if (r.ok()) {
      // The builder writes its first string last; cutting only the zero padding after that
      // string's terminator (at most 3 bytes) loses nothing, so that prefix may still open.
      CHECK(n + 3 >= bytes.size());
      for (size_t i = n; i < bytes.size(); ++i) CHECK(bytes.data()[i] == 0);
      ++padding_only;
      continue;
    }
    CHECK((r.status().code() == Code::kSnapshotInvalid || r.status().code() == Code::kSnapshotIdentifier));
  }
  CHECK(padding_only <= 3);
  CHECK(Snapshot::open(bytes.prefix(7).span()).status().message().find("truncated") != std::string::npos);
  CHECK(Snapshot::open(bytes.prefix(0).span()).status().code() == Code::kSnapshotInvalid);
}

TEST_CASE("snapshot: random corruption is rejected or served, never a crash") {
  // Run under the asan preset to turn silent out-of-bounds reads into failures.
  const Bytes good = build_snapshot(full_spec());
  Bytes profile = build_profile({.categories = {{"footwear", 0.8f}}, .brands = {{"acme", 0.5f}},
                                 .attributes = {{"tags", "eco", 0.9f}}, .embedding = {0.6f, 0.8f},
                                 .recent_bought = {"cap"}});
  std::mt19937 rng(20251120);
  int opened = 0, decided = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    Bytes b = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      size_t at = rng() % b.size();
      // Small integer values are the likeliest to pass the verifier and reach semantic checks.
      b.data()[at] = (rng() % 2) ? static_cast<uint8_t>(rng()) : static_cast<uint8_t>(rng() % 8);
    }
    Engine engine;
    if (!engine.load_snapshot(b.span()).ok()) continue;
    ++opened;
    const auto* slots = engine.snapshot()->root().slots();
    for (uint32_t i = 0; slots && i < slots->size(); ++i) {
      std::string req = R"({"site":"us","consent":["personalization"],"exclude":["sock"],"slots":[{"id":")" +
                        std::string(sv(slots->Get(i)->id())) + R"(","items":["cap","boot","nope"]}]})";
      if (engine.decide(req, profile.span()).ok()) ++decided;
    }
  }
  // The corruption must reach the pipeline often enough to mean something (about 1 in 6 opens).
  CHECK(opened > 100);
  CHECK(decided > 100);
}

TEST_CASE("snapshot: wrong file identifier") {
  SnapSpec spec = full_spec();
  spec.identifier = "TPRF";
  auto r = Snapshot::open(build_snapshot(spec).span());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kSnapshotIdentifier);
  CHECK(r.status().message().find("'TPRF'") != std::string::npos);
  CHECK(r.status().message().find("expected 'TSNP'") != std::string::npos);

  // Non-printable identifier bytes are shown as '?'.
  Bytes bytes = build_snapshot(full_spec());
  bytes.data()[4] = 0x01;
  bytes.data()[7] = 0xff;
  auto q = Snapshot::open(bytes.span());
  CHECK(q.status().code() == Code::kSnapshotIdentifier);
  CHECK(q.status().message().find("'?SN?'") != std::string::npos);
}

TEST_CASE("snapshot: min_engine above this engine's feature level is incompatible") {
  SnapSpec spec = full_spec();
  spec.min_engine = kFeatureLevel + 1;
  auto r = Snapshot::open(build_snapshot(spec).span());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kSnapshotIncompatible);
  CHECK(r.status().message().find("feature level " + std::to_string(kFeatureLevel + 1)) != std::string::npos);
  CHECK(r.status().message().find("up to level " + std::to_string(kFeatureLevel)) != std::string::npos);
  spec.min_engine = kFeatureLevel;
  CHECK(open_status(spec).ok());
  spec.min_engine = kFeatureLevelBusiness;
  CHECK(open_status(spec).ok());
  spec.min_engine = kFeatureLevelFoundation;
  CHECK(open_status(spec).ok());
  spec.min_engine = 0;
  CHECK(open_status(spec).ok());
  // A newer writer is fine as long as it says this engine can read it.
  spec.schema_version = kSchemaVersion + 5;
  CHECK(open_status(spec).ok());
}

TEST_CASE("snapshot: semantic errors are snapshot_invalid and say what is wrong") {
  struct Case {
    const char* what;
    std::function<void(SnapSpec&)> mutate;
    const char* message;
  };
  const Case cases[] = {
      {"price column shorter than the items", [](SnapSpec& s) { s.price_column = std::vector<float>{1, 2, 3}; },
       "items.price length"},
      {"item category out of range", [](SnapSpec& s) { s.items[2].category = 4; }, "items.category"},
      {"item category below -1", [](SnapSpec& s) { s.items[2].category = -2; }, "items.category"},
      {"item brand out of range", [](SnapSpec& s) { s.items[0].brand = 2; }, "items.brand"},
      {"category parent out of range", [](SnapSpec& s) { s.categories[3].parent = 4; }, "category parent out of range"},
      {"category cycle", [](SnapSpec& s) { s.categories[0].parent = 2; }, "cycle"},
      {"category is its own parent", [](SnapSpec& s) { s.categories[3].parent = 3; }, "cycle"},
      {"deny list not sorted", [](SnapSpec& s) { s.deny_lists[1].items = {4, 0}; }, "deny list not sorted"},
      {"deny list item out of range", [](SnapSpec& s) { s.deny_lists[0].items = {6}; }, "deny list item index"},
      {"deny list site out of range", [](SnapSpec& s) { s.deny_lists[1].site = 2; }, "deny list site"},
      {"rule scoped to a missing slot", [](SnapSpec& s) { s.rules[0].slots = {0, 9}; }, "rule 'boost-sale' scope"},
      {"rule scoped to a missing site", [](SnapSpec& s) { s.rules[1].sites = {2}; }, "rule 'bury-shoes' scope"},
      {"rule matching a missing item", [](SnapSpec& s) { s.rules[2].match->items = {6}; }, "rule 'pin-cap' match index"},
      {"rule matching a missing category", [](SnapSpec& s) { s.rules[1].match->categories = {7}; }, "match index"},
      {"rule values outside the dictionary", [](SnapSpec& s) { s.rules[0].match->values = {3}; }, "match values"},
      {"rule values on a number attribute", [](SnapSpec& s) { s.rules[0].match->attribute = 0; }, "match values"},
      {"rule number range on a tag attribute", [](SnapSpec& s) { s.rules[3].match->number_attribute = 2; },
       "number attribute"},
      {"term attribute with the wrong type", [](SnapSpec& s) { s.strategies[1].terms[5].attribute = 1; },
       "term attribute type"},
      {"affinity term on a number attribute", [](SnapSpec& s) { s.strategies[1].terms[2].attribute = 0; },
       "term attribute type"},
      {"term attribute out of range", [](SnapSpec& s) { s.strategies[1].terms[5].attribute = 3; },
       "term attribute index"},
      {"attribute term without an attribute", [](SnapSpec& s) { s.strategies[1].terms[5].attribute = -1; },
       "term attribute index"},
      {"slot strategy out of range", [](SnapSpec& s) { s.slots[0].strategy = 2; }, "slot 'all' strategy index"},
      {"slot category out of range", [](SnapSpec& s) { s.slots[1].source_index = 4; }, "slot 'shoes' category index"},
      {"slot collection out of range", [](SnapSpec& s) { s.slots[2].source_index = 1; },
       "slot 'picks' collection index"},
      {"collection item out of range", [](SnapSpec& s) { s.collections[0].second = {0, 6}; },
       "collection 'picks' item index"},
      {"number column too short", [](SnapSpec& s) { s.attributes[0].numbers.pop_back(); }, "'rating' numbers length"},
      {"categorical code outside the dictionary", [](SnapSpec& s) { s.attributes[1].codes[0] = 3; }, "'color' code"},
      {"tag outside the dictionary", [](SnapSpec& s) { s.attributes[2].tags[0] = {3}; }, "'tags' tags"},
      {"tag offsets for too few items", [](SnapSpec& s) { s.attributes[2].tags.pop_back(); }, "'tags' offsets"},
      {"embedding shorter than items * dim", [](SnapSpec& s) { s.embedding_f32_column = std::vector<float>(11, 0.5f); },
       "embedding columns do not match"},
      {"more than 64 sites", [](SnapSpec& s) { for (int i = 0; i < 63; ++i) s.sites.push_back("s" + std::to_string(i)); },
       "more than 64 sites"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    SnapSpec spec = full_spec();
    c.mutate(spec);
    Status st = open_status(spec);
    INFO("message: ", st.message());
    CHECK(st.code() == Code::kSnapshotInvalid);
    CHECK(st.message().find(c.message) != std::string::npos);
  }
}

TEST_CASE("snapshot: exactly 64 sites is allowed") {
  SnapSpec spec = full_spec();
  for (int i = 0; i < 62; ++i) spec.sites.push_back("s" + std::to_string(i));
  CHECK(open_status(spec).ok());
}

TEST_CASE("snapshot: an empty catalog opens, including attributes without columns") {
  SnapSpec spec;
  spec.strategies = {{"pop", {{fb::TermKind::Popularity}}}};
  spec.slots = {{"all"}};
  AttrSpec color{"color", fb::AttributeType::Categorical};
  color.dict = {"red"};
  color.omit_codes = true;  // zero items: an absent codes vector is a valid empty column
  AttrSpec tags{"tags", fb::AttributeType::TagSet};
  spec.attributes = {color, tags};
  Bytes bytes = build_snapshot(spec);
  auto snap = Snapshot::open(bytes.span());
  INFO(snap.status().message());
  REQUIRE(snap.ok());
  CHECK(snap->item_count() == 0);
  CHECK(snap->find_item("x") == -1);
}

TEST_CASE("snapshot: limits") {
  Bytes bytes = build_snapshot(full_spec());
  SnapshotLimits limits;
  limits.max_items = 5;
  auto r = Snapshot::open(bytes.span(), limits);
  CHECK(r.status().code() == Code::kLimitExceeded);
  CHECK(r.status().message().find("6 items") != std::string::npos);

  limits = {};
  limits.max_bytes = bytes.size() - 1;
  CHECK(Snapshot::open(bytes.span(), limits).status().code() == Code::kLimitExceeded);
  limits.max_bytes = bytes.size();
  CHECK(Snapshot::open(bytes.span(), limits).ok());

  limits = {};
  limits.max_embedding_dim = 1;
  CHECK(Snapshot::open(bytes.span(), limits).status().code() == Code::kSnapshotInvalid);

  limits = {};
  limits.max_tables = 5;  // the verifier's own table budget
  CHECK(Snapshot::open(bytes.span(), limits).status().code() == Code::kSnapshotInvalid);
}

TEST_CASE("snapshot: a 64-bit column moved off 8-byte alignment is rejected") {
  // The FlatBuffers verifier only checks vector length fields for 4-byte alignment. Shift the
  // published_at vector by 4 bytes so that its first element's low word (6 = item_count) becomes
  // the length: the buffer still verifies, but every int64 read would be misaligned.
  SnapSpec spec = full_spec();
  spec.items[0].published_at = 6;
  Bytes bytes = build_snapshot(spec);
  auto snap = Snapshot::open(bytes.span());
  REQUIRE(snap.ok());
  const auto* vec = reinterpret_cast<const uint8_t*>(snap->items().published_at());
  const size_t target = static_cast<size_t>(vec - bytes.data());
  int patched = 0;
  for (size_t p = 0; p + 4 <= target; p += 4) {
    uint32_t v;
    std::memcpy(&v, bytes.data() + p, 4);
    if (v == target - p) {  // the uoffset field that points at the vector
      v += 4;
      std::memcpy(bytes.data() + p, &v, 4);
      ++patched;
    }
  }
  REQUIRE(patched == 1);
  auto r = Snapshot::open(bytes.span());
  INFO(r.status().message());
  CHECK(r.status().code() == Code::kSnapshotInvalid);
  CHECK(r.status().message().find("misaligned") != std::string::npos);
}
