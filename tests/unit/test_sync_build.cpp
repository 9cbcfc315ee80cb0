// tailor build: the snapshot a small tenant produces, column by column, and its determinism.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>

#include <flatbuffers/flatbuffers.h>

#include "tailor/sha256.h"
#include "tailor/snapshot.h"
#include "tailor/snapshot_generated.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;

namespace {

// Verifies like the engine does (identifier + FlatBuffers verifier) and returns the root.
const fb::Snapshot* open_verified(const std::vector<uint8_t>& bytes) {
  REQUIRE(bytes.size() > 8);
  REQUIRE(fb::SnapshotBufferHasIdentifier(bytes.data()));
  flatbuffers::Verifier::Options opts;
  opts.max_depth = 64;
  opts.max_tables = 1'000'000;
  flatbuffers::Verifier v(bytes.data(), bytes.size(), opts);
  REQUIRE(fb::VerifySnapshotBuffer(v));
  REQUIRE(Snapshot::open(bytes).ok());  // and the engine's semantic checks
  return fb::GetSnapshot(bytes.data());
}

template <class V>
std::vector<std::string> strings(const V* v) {
  std::vector<std::string> out;
  if (v)
    for (auto* s : *v) out.emplace_back(sv(s));
  return out;
}

template <class T, class V>
std::vector<T> values(const V* v) {
  std::vector<T> out;
  if (v)
    for (auto x : *v) out.push_back(static_cast<T>(x));
  return out;
}

BuildRun build_fixture(const TempDir& dir, const nlohmann::json& config = fixture_config()) {
  write_fixture(dir);
  BuildRun run = build_in(dir, config);
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  return run;
}

}  // namespace

TEST_CASE("sync build: header, tenant and sites") {
  TempDir dir;
  BuildRun run = build_fixture(dir);
  const fb::Snapshot* s = open_verified(run.snap.bytes);
  CHECK(s->schema_version() == 1);
  CHECK(s->min_engine() == 1);
  CHECK(sv(s->version()) == "v7");
  CHECK(s->built_at() == 1763596800);
  CHECK(sv(s->tenant()->id()) == "acme");
  CHECK(sv(s->tenant()->name()) == "Acme");
  REQUIRE(s->sites()->size() == 2);
  CHECK(sv(s->sites()->Get(1)->id()) == "eu");
  CHECK(sv(s->sites()->Get(1)->currency()) == "EUR");
  CHECK(sv(s->sites()->Get(1)->locale()) == "de-DE");
  CHECK(s->sites()->Get(0)->locale() == nullptr);
  CHECK(run.snap.items == 4);
  CHECK(run.snap.sha256 == sha256_hex(std::span<const uint8_t>(run.snap.bytes)));
}

TEST_CASE("sync build: categories keep source order with parent indices, item brands are added sorted") {
  TempDir dir;
  BuildRun run = build_fixture(dir);
  const fb::Snapshot* s = open_verified(run.snap.bytes);
  std::vector<std::string> ids;
  std::vector<int32_t> parents;
  for (auto* c : *s->categories()) {
    ids.emplace_back(sv(c->id()));
    parents.push_back(c->parent());
  }
  CHECK(ids == std::vector<std::string>{"footwear", "running", "hiking", "apparel"});
  CHECK(parents == std::vector<int32_t>{-1, 0, 0, -1});
  CHECK(sv(s->categories()->Get(1)->name()) == "Running");
  std::vector<std::string> brands;
  for (auto* b : *s->brands()) brands.emplace_back(sv(b->id()));
  CHECK(brands == std::vector<std::string>{"alpa", "ridge", "swift"});
}

TEST_CASE("sync build: item columns") {
  TempDir dir;
  BuildRun run = build_fixture(dir);
  const fb::Items& it = *open_verified(run.snap.bytes)->items();
  CHECK(strings(it.ids()) == std::vector<std::string>{"b2", "a1", "c3", "B0"});
  CHECK(values<uint32_t>(it.id_order()) == std::vector<uint32_t>{3, 1, 0, 2});  // "B0" < "a1" < "b2" < "c3"
  CHECK(strings(it.titles()) == std::vector<std::string>{"Bravo", "Alpha", "Charlie, \"the\" third", "Zed"});
  CHECK(values<int32_t>(it.category()) == std::vector<int32_t>{1, 2, 3, 1});
  CHECK(values<int32_t>(it.brand()) == std::vector<int32_t>{2, 1, 0, 2});
  CHECK(it.price()->Get(0) == 120.0f);
  CHECK(it.price()->Get(1) == 80.5f);
  CHECK(std::isnan(it.price()->Get(2)));  // missing price is unknown, not free
  CHECK(values<int64_t>(it.published_at()) == std::vector<int64_t>{1750000000, 1748736000, 0, 1700000000});
  CHECK(values<int32_t>(it.stock()) == std::vector<int32_t>{5, 0, -1, 2});
  CHECK(values<uint64_t>(it.site_mask()) == std::vector<uint64_t>{0, 1, 3, 2});
}

TEST_CASE("sync build: popularity is log1p(p) / log1p(max)") {
  TempDir dir;
  BuildRun run = build_fixture(dir);
  const fb::Items& it = *open_verified(run.snap.bytes)->items();
  CHECK(it.popularity()->Get(0) == doctest::Approx(std::log1p(100.0) / std::log1p(1000.0)));
  CHECK(it.popularity()->Get(1) == 0.0f);
  CHECK(it.popularity()->Get(2) == 1.0f);
  CHECK(it.popularity()->Get(3) == doctest::Approx(0.3470807));

  // All zero: every value is 0, not NaN.
  TempDir zero;
  zero.write("items.csv", "id,popularity\na,0\nb,\n");
  auto cfg = nlohmann::json::parse(R"({"schema":1,"tenant":{"id":"t"},"built_at":1,"items":{"path":"items.csv"},
    "strategies":[{"id":"s","terms":[{"kind":"popularity"}]}],"slots":[{"id":"x","strategy":"s"}]})");
  BuildRun z = build_in(zero, cfg);
  REQUIRE(z.ok);
  const fb::Items& zi = *open_verified(z.snap.bytes)->items();
  CHECK(values<float>(zi.popularity()) == std::vector<float>{0.0f, 0.0f});
}

TEST_CASE("sync build: typed attribute columns") {
  TempDir dir;
  BuildRun run = build_fixture(dir);
  const fb::Items& it = *open_verified(run.snap.bytes)->items();
  REQUIRE(it.attributes()->size() == 3);

  const fb::Attribute* rating = it.attributes()->Get(0);
  CHECK(sv(rating->name()) == "rating");
  CHECK(rating->type() == fb::AttributeType::Number);
  CHECK(rating->custom());
  CHECK(rating->numbers()->Get(0) == 4.5f);
  CHECK(std::isnan(rating->numbers()->Get(2)));
  CHECK(rating->min() == 3.5f);
  CHECK(rating->max() == 5.0f);
  CHECK(rating->dict() == nullptr);

  const fb::Attribute* color = it.attributes()->Get(1);
  CHECK(color->type() == fb::AttributeType::Categorical);
  CHECK(color->custom());
  CHECK(strings(color->dict()) == std::vector<std::string>{"blue", "red"});
  CHECK(values<uint32_t>(color->codes()) == std::vector<uint32_t>{1, 0, 1, 0xFFFFFFFFu});

  const fb::Attribute* labels = it.attributes()->Get(2);
  CHECK(sv(labels->name()) == "labels");  // named by the attribute, read from column "tags"
  CHECK(labels->type() == fb::AttributeType::TagSet);
  CHECK(strings(labels->dict()) == std::vector<std::string>{"new", "sale", "waterproof"});
  CHECK(values<uint32_t>(labels->offsets()) == std::vector<uint32_t>{0, 2, 4, 4, 5});
  CHECK(values<uint32_t>(labels->tags()) == std::vector<uint32_t>{0, 1, 0, 1, 2});  // sorted, "new" once
}

TEST_CASE("sync build: f32 embeddings are unit length, missing ones are zero") {
  TempDir dir;
  BuildRun run = build_fixture(dir);
  const fb::Items& it = *open_verified(run.snap.bytes)->items();
  CHECK(it.embedding_dim() == 3);
  CHECK(it.embedding_i8() == nullptr);
  auto e = values<float>(it.embedding_f32());
  REQUIRE(e.size() == 12);
  CHECK(e[0] == doctest::Approx(0.6));
  CHECK(e[1] == doctest::Approx(0.8));
  CHECK(e[2] == 0.0f);
  CHECK(e[5] == doctest::Approx(1.0));
  CHECK(e[6] == 0.0f);
  CHECK(e[7] == 0.0f);
  CHECK(e[8] == 0.0f);
  for (int k = 9; k < 12; ++k) CHECK(e[k] == doctest::Approx(1.0 / std::sqrt(3.0)));
}

TEST_CASE("sync build: int8 embeddings: scale = max|v| / 127, q = round(v / scale)") {
  TempDir dir;
  auto cfg = fixture_config();
  cfg["embedding"]["format"] = "int8";
  BuildRun run = build_fixture(dir, cfg);
  const fb::Items& it = *open_verified(run.snap.bytes)->items();
  CHECK(it.embedding_f32() == nullptr);
  auto q = values<int>(it.embedding_i8());
  auto scale = values<float>(it.embedding_scale());
  REQUIRE(q.size() == 12);
  REQUIRE(scale.size() == 4);
  CHECK(scale[0] == doctest::Approx(0.8 / 127));
  CHECK(q[0] == 95);  // round(0.6 / (0.8 / 127)) = round(95.25)
  CHECK(q[1] == 127);
  CHECK(q[2] == 0);
  CHECK(scale[2] == 0.0f);  // no embedding
  for (int k = 9; k < 12; ++k) CHECK(q[k] == 127);
  // Dequantised vectors stay close to the unit vectors.
  CHECK(q[0] * scale[0] == doctest::Approx(0.6).epsilon(0.01));
}

TEST_CASE("sync build: strategies and terms") {
  TempDir dir;
  BuildRun run = build_fixture(dir);
  const fb::Snapshot* s = open_verified(run.snap.bytes);
  REQUIRE(s->strategies()->size() == 2);
  const auto* popular = s->strategies()->Get(0)->terms();
  REQUIRE(popular->size() == 2);
  CHECK(sv(popular->Get(0)->name()) == "popularity");
  CHECK(popular->Get(0)->kind() == fb::TermKind::Popularity);
  CHECK(popular->Get(0)->half_life_days() == 365.0f);
  CHECK_FALSE(popular->Get(0)->personal());
  CHECK(popular->Get(1)->kind() == fb::TermKind::Attribute);
  CHECK(popular->Get(1)->attribute() == 0);
  CHECK(popular->Get(1)->weight() == 0.5f);

  const auto* personal = s->strategies()->Get(1)->terms();
  REQUIRE(personal->size() == 5);
  std::vector<std::string> names;
  std::vector<bool> is_personal;
  for (auto* t : *personal) {
    names.emplace_back(sv(t->name()));
    is_personal.push_back(t->personal());
  }
  CHECK(names == std::vector<std::string>{"category_affinity", "brand_affinity", "attribute_affinity", "similar", "recency"});
  CHECK(is_personal == std::vector<bool>{true, true, true, true, false});
  CHECK(personal->Get(0)->weight() == 1.0f);  // default
  CHECK(personal->Get(2)->attribute() == 2);
  CHECK(personal->Get(0)->attribute() == -1);
}

TEST_CASE("sync build: slots") {
  TempDir dir;
  BuildRun run = build_fixture(dir);
  const fb::Snapshot* s = open_verified(run.snap.bytes);
  REQUIRE(s->slots()->size() == 4);
  const fb::Slot* home = s->slots()->Get(0);
  CHECK(home->source() == fb::SourceKind::All);
  CHECK(home->source_index() == -1);
  CHECK(home->strategy() == 0);
  CHECK(home->size() == 10);
  CHECK(home->max_size() == 100);
  CHECK(home->in_stock_only());
  CHECK(home->exclude_purchased());
  CHECK_FALSE(home->exclude_viewed());
  const fb::Slot* running = s->slots()->Get(1);
  CHECK(running->source() == fb::SourceKind::Category);
  CHECK(running->source_index() == 1);
  CHECK(running->strategy() == 1);
  CHECK(running->size() == 3);
  CHECK(running->max_size() == 6);
  CHECK_FALSE(running->in_stock_only());
  const fb::Slot* picks = s->slots()->Get(2);
  CHECK(picks->source() == fb::SourceKind::Collection);
  CHECK(picks->source_index() == 0);
  CHECK(picks->exclude_viewed());
  CHECK_FALSE(picks->exclude_purchased());
  CHECK(s->slots()->Get(3)->source() == fb::SourceKind::Request);
  REQUIRE(s->collections()->size() == 1);
  CHECK(values<uint32_t>(s->collections()->Get(0)->items()) == std::vector<uint32_t>{2, 1});  // curated order
}

TEST_CASE("sync build: rules resolve to indices, codes and unix seconds") {
  TempDir dir;
  BuildRun run = build_fixture(dir);
  const fb::Snapshot* s = open_verified(run.snap.bytes);
  REQUIRE(s->rules()->size() == 5);

  const fb::Rule* boost = s->rules()->Get(0);
  CHECK(boost->action() == fb::RuleAction::Boost);
  CHECK(boost->amount() == 0.25f);
  CHECK(values<int32_t>(boost->slots()) == std::vector<int32_t>{0, 2});
  CHECK(boost->match()->attribute() == 2);
  CHECK(values<uint32_t>(boost->match()->values()) == std::vector<uint32_t>{1});  // "sale"
  CHECK(boost->starts_at() == 0);
  CHECK(boost->ends_at() == 0);

  const fb::Rule* bury = s->rules()->Get(1);
  CHECK(bury->action() == fb::RuleAction::Bury);
  CHECK(bury->amount() == 1.0f);
  CHECK(values<int32_t>(bury->sites()) == std::vector<int32_t>{1});
  CHECK(values<int32_t>(bury->match()->categories()) == std::vector<int32_t>{2});
  CHECK(values<int32_t>(bury->match()->brands()) == std::vector<int32_t>{1});
  CHECK(bury->match()->attribute() == -1);
  CHECK(bury->starts_at() == 1767225600);
  CHECK(bury->ends_at() == 1772323200);

  const fb::Rule* pin = s->rules()->Get(2);
  CHECK(pin->action() == fb::RuleAction::Pin);
  CHECK(pin->position() == 2);
  CHECK(values<uint32_t>(pin->match()->items()) == std::vector<uint32_t>{1, 2});

  const fb::Rule* low = s->rules()->Get(3);
  CHECK(low->action() == fb::RuleAction::Exclude);
  CHECK(low->match()->number_attribute() == 0);
  CHECK(low->match()->number_min() == -std::numeric_limits<float>::infinity());
  CHECK(low->match()->number_max() == 4.0f);

  const fb::Rule* red = s->rules()->Get(4);
  CHECK(values<int32_t>(red->slots()) == std::vector<int32_t>{3});
  CHECK(red->match()->attribute() == 1);
  CHECK(values<uint32_t>(red->match()->values()) == std::vector<uint32_t>{1});  // "red"
}

TEST_CASE("sync build: deny lists: one for every site, one per site, items sorted") {
  TempDir dir;
  BuildRun run = build_fixture(dir);
  const fb::Snapshot* s = open_verified(run.snap.bytes);
  REQUIRE(s->deny_lists()->size() == 3);
  CHECK(s->deny_lists()->Get(0)->site() == -1);
  CHECK(values<uint32_t>(s->deny_lists()->Get(0)->items()) == std::vector<uint32_t>{0, 2});  // c3, b2 -> sorted
  // In site order (us before eu), whatever order the config's object keys come in.
  CHECK(s->deny_lists()->Get(1)->site() == 0);
  CHECK(values<uint32_t>(s->deny_lists()->Get(1)->items()) == std::vector<uint32_t>{2, 3});  // de-duplicated
  CHECK(s->deny_lists()->Get(2)->site() == 1);
  CHECK(values<uint32_t>(s->deny_lists()->Get(2)->items()) == std::vector<uint32_t>{1});
}

TEST_CASE("sync build: identical inputs give identical bytes") {
  TempDir dir;
  BuildRun a = build_fixture(dir);
  BuildRun b = build_fixture(dir);
  CHECK(a.snap.bytes == b.snap.bytes);
  CHECK(a.snap.sha256 == b.snap.sha256);
  // A different build time is a different snapshot.
  BuildRun c = build_in(dir, fixture_config(), 1763596801);
  REQUIRE(c.ok);
  CHECK(c.snap.bytes != a.snap.bytes);
}

TEST_CASE("sync build: CSV, NDJSON and JSON sources of the same items give the same snapshot") {
  TempDir dir;
  BuildRun csv = build_fixture(dir);
  dir.write("items.ndjson", kItemsNdjson);
  // The JSON array form: the NDJSON lines joined with commas.
  std::string json = "[";
  std::string nd = kItemsNdjson;
  size_t pos = 0;
  bool first = true;
  while (pos < nd.size()) {
    size_t nl = nd.find('\n', pos);
    std::string line = nd.substr(pos, nl - pos);
    pos = nl == std::string::npos ? nd.size() : nl + 1;
    if (line.empty()) continue;
    json += (first ? "" : ",\n") + line;
    first = false;
  }
  dir.write("items.json", json + "]");
  for (const char* path : {"items.ndjson", "items.json"}) {
    CAPTURE(path);
    auto cfg = fixture_config();
    cfg["items"]["path"] = path;
    BuildRun other = build_in(dir, cfg);
    INFO(joined(other.errors));
    REQUIRE(other.ok);
    CHECK(other.snap.bytes == csv.snap.bytes);
  }
}

TEST_CASE("sync build: version and built_at defaults and overrides") {
  TempDir dir;
  write_fixture(dir);
  auto cfg = fixture_config();
  cfg.erase("version");
  BuildRun run = build_in(dir, cfg);
  REQUIRE(run.ok);
  CHECK(run.snap.version == "20251120T000000Z");
  CHECK(sv(open_verified(run.snap.bytes)->version()) == "20251120T000000Z");

  BuildOptions opts;
  opts.config_path = dir / "tailor.json";
  opts.built_at = 1700000000;
  opts.version = "release-3";
  BuiltSnapshot snap;
  ErrorList errors;
  REQUIRE(build_snapshot(opts, snap, errors));
  CHECK(snap.built_at == 1700000000);
  CHECK(open_verified(snap.bytes)->built_at() == 1700000000);
  CHECK(sv(open_verified(snap.bytes)->version()) == "release-3");

  // Without built_at anywhere, SOURCE_DATE_EPOCH decides (reproducible builds).
  cfg.erase("built_at");
  dir.write("tailor.json", cfg.dump());
  ::setenv("SOURCE_DATE_EPOCH", "1600000000", 1);
  opts = BuildOptions();
  opts.config_path = dir / "tailor.json";
  ErrorList e2;
  bool ok = build_snapshot(opts, snap, e2);
  ::unsetenv("SOURCE_DATE_EPOCH");
  REQUIRE(ok);
  CHECK(snap.built_at == 1600000000);
  CHECK(snap.version == "20200913T122640Z");
}

TEST_CASE("sync build: without a categories source, categories come from the items, sorted") {
  TempDir dir;
  write_fixture(dir);
  auto cfg = fixture_config();
  cfg.erase("categories");
  BuildRun run = build_in(dir, cfg);
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  const fb::Snapshot* s = open_verified(run.snap.bytes);
  std::vector<std::string> ids;
  for (auto* c : *s->categories()) {
    ids.emplace_back(sv(c->id()));
    CHECK(c->parent() == -1);
  }
  CHECK(ids == std::vector<std::string>{"apparel", "hiking", "running"});
  CHECK(values<int32_t>(s->items()->category()) == std::vector<int32_t>{2, 1, 0, 2});
}
