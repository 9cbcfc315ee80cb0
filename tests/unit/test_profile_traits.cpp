// Profile traits: tenant-declared typed attributes on profiles (attributes[].on: "profiles"),
// read at origin by `tailor profiles --traits`, kept through incremental and sharded builds, and
// usable as profile.<name> in targeting conditions when the request has personalization consent.
#include <doctest/doctest.h>

#include <map>

#include "commands.h"
#include "profile_builder.h"
#include "tailor/engine.h"
#include "tailor/profile.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;
using json = nlohmann::json;

namespace {

constexpr int64_t T = 1764000000;

json traits_config() {
  json c = fixture_config();
  c["attributes"].push_back({{"name", "tier"}, {"type", "categorical"}, {"on", "profiles"}});
  c["attributes"].push_back({{"name", "ltv"}, {"type", "number"}, {"on", "profiles"}});
  c["attributes"].push_back({{"name", "interests"}, {"type", "tags"}, {"on", "profiles"}});
  c["segments"] = json::parse(R"([
    {"id": "gold", "condition": {"==": [{"var": "profile.tier"}, "gold"]}},
    {"id": "big", "condition": {">=": [{"var": "profile.ltv"}, 1000]}},
    {"id": "hikers", "condition": {"in": ["hiking", {"var": "profile.interests"}]}}
  ])");
  c["profile_traits"] = {{"path", "crm.csv"}};  // for `tailor profiles --traits tailor.json#profile_traits`
  return c;
}

struct Run {
  bool ok = false;
  ProfileStats stats;
  ErrorList errors;
  std::map<std::string, std::vector<uint8_t>> profiles;
};

class Fixture {
 public:
  Fixture() {
    write_fixture(dir);
    built = build_in(dir, traits_config());
    INFO(joined(built.errors));
    REQUIRE(built.ok);
    auto s = Snapshot::open(built.snap.bytes);
    REQUIRE(s.ok());
    snap = *s;
  }

  // Events (NDJSON, may be empty: traits only) and a traits CSV through the config's map.
  Run run(const std::string& events, const std::string& crm, const std::string& out, bool previous = false,
          uint32_t shard = 0, uint32_t shards = 1) {
    Run r;
    ProfileOptions o;
    if (!events.empty()) {
      o.events_path = dir.write("events.ndjson", events);
      o.events_name = "events.ndjson";
    }
    if (!crm.empty()) {
      dir.write("crm.csv", crm);
      o.traits_source = SourceSpec{};
      o.traits_source->name = "crm.csv";
      o.traits_source->file = dir / "crm.csv";
      o.traits_source->format = Format::kCsv;
    }
    o.now = T;
    o.state_out = dir / out;
    if (previous) o.previous = dir / out;
    o.shard_index = shard;
    o.shard_count = shards;
    r.ok = build_profiles(snap, o,
                          [&](const std::string& hash, std::span<const uint8_t> b) {
                            r.profiles[hash].assign(b.begin(), b.end());
                            return Status::Ok();
                          },
                          r.stats, r.errors);
    return r;
  }

  TempDir dir;
  BuildRun built;
  Snapshot snap;
};

// The traits of a profile as {name: value} (numbers as text).
std::map<std::string, std::string> traits_of(const std::vector<uint8_t>& bytes) {
  auto p = Profile::open(bytes);
  REQUIRE(p.ok());
  std::map<std::string, std::string> out;
  if (const auto* t = p->root().traits())
    for (const fb::Trait* x : *t) {
      std::string v;
      if (x->text()) v = std::string(sv(x->text()));
      else if (x->tags())
        for (auto* s : *x->tags()) v += (v.empty() ? "" : "|") + std::string(sv(s));
      else v = std::to_string(x->number());
      out[std::string(sv(x->name()))] = v;
    }
  return out;
}

const std::string kEvents = "{\"user\":\"u-1\",\"type\":\"view\",\"item\":\"b2\",\"ts\":1764000000}\n";

}  // namespace

TEST_CASE("profile traits: declared in the config, carried as names and types in the snapshot") {
  Fixture f;
  const auto* attrs = f.snap.root().profile_attributes();
  REQUIRE(attrs);
  REQUIRE(attrs->size() == 3);
  CHECK(sv(attrs->Get(0)->name()) == "tier");
  CHECK(attrs->Get(0)->type() == fb::AttributeType::Categorical);
  CHECK(attrs->Get(1)->type() == fb::AttributeType::Number);
  CHECK(attrs->Get(2)->type() == fb::AttributeType::TagSet);

  json c = traits_config();
  c["attributes"].push_back({{"name", "viewed"}, {"type", "number"}, {"on", "profiles"}});
  c["attributes"].push_back({{"name", "score"}, {"type", "number"}, {"on", "profiles"}, {"column", "s"}});
  c["attributes"].push_back({{"name", "tier"}, {"type", "number"}, {"on", "profiles"}});
  BuildRun run = build_in(f.dir, c);
  CHECK_FALSE(run.ok);
  INFO(joined(run.errors));
  CHECK(has_error(run.errors, "tailor.json: attributes[6].name: 'viewed' is a built-in key of profile in conditions"));
  CHECK(has_error(run.errors, "tailor.json: attributes[7].column: profile attributes are read by name"));
  CHECK(has_error(run.errors, "tailor.json: attributes[8].name: duplicate"));

  // A condition naming a profile key that is neither built in nor declared fails the build;
  // vars inside map/filter name the element and are not checked.
  c = traits_config();
  c["segments"].push_back(json::parse(R"({"id": "typo", "condition": {"or": [{"==": [{"var": ["profile.teir", ""]}, "gold"]},
    {"some": [{"var": "profile.interests"}, {"==": [{"var": "profile.x"}, 1]}]}, {"var": "profile.top_brands.0"}]}})"));
  c["slots"][0]["condition"] = json::parse(R"({">": [{"var": "profile.lifetime"}, 3]})");
  run = build_in(f.dir, c);
  CHECK_FALSE(run.ok);
  INFO(joined(run.errors));
  CHECK(has_error(run.errors, "tailor.json: segments[3].condition.or[0].==[0].var[0]: unknown profile key 'teir'"));
  CHECK(has_error(run.errors, "tailor.json: slots[0].condition.>[0].var: unknown profile key 'lifetime'"));
  CHECK(run.errors.messages().size() == 2);
}

TEST_CASE("profile traits: rows set, later rows win, located errors for bad rows") {
  Fixture f;
  Run r = f.run(kEvents,
                "user,tier,ltv,interests\n"
                "u-1,silver,250,running|hiking\n"
                "u-2,gold,1200.5,\n"
                "u-1,gold,,\n",
                "a");
  INFO(joined(r.errors));
  REQUIRE(r.ok);
  CHECK(r.stats.trait_rows == 3);
  // u-2 has no events: the traits alone make a profile. An empty cell clears.
  CHECK(traits_of(r.profiles[user_hash("acme", "u-1")]) == std::map<std::string, std::string>{{"tier", "gold"}});
  CHECK(traits_of(r.profiles[user_hash("acme", "u-2")]) ==
        std::map<std::string, std::string>{{"ltv", std::to_string(1200.5f)}, {"tier", "gold"}});
  // The raw ids are never written.
  for (auto& [h, b] : r.profiles) CHECK(std::string(b.begin(), b.end()).find("u-1") == std::string::npos);

  Run bad = f.run(kEvents, "user,tier,ltv,interests\nu-1,gold,lots,\n,gold,1,\n", "b");
  CHECK_FALSE(bad.ok);
  INFO(joined(bad.errors));
  CHECK(has_error(bad.errors, "crm.csv:2: field 'ltv': 'lots' is not a number"));
  CHECK(has_error(bad.errors, "crm.csv:3: field 'user': missing"));
  CHECK(bad.profiles.empty());

  // A snapshot without profile attributes refuses a traits source.
  BuildRun plain = build_in(f.dir, fixture_config());
  REQUIRE(plain.ok);
  auto s = Snapshot::open(plain.snap.bytes);
  REQUIRE(s.ok());
  f.snap = *s;
  Run none = f.run(kEvents, "user,tier\nu-1,gold\n", "c");
  CHECK_FALSE(none.ok);
  CHECK(has_error(none.errors, "crm.csv: the snapshot declares no profile attributes"));
}

TEST_CASE("profile traits: kept in the state, updated or cleared by a later traits-only run") {
  Fixture f;
  Run first = f.run(kEvents, "user,tier,ltv,interests\nu-1,silver,250,running|hiking\n", "out");
  REQUIRE(first.ok);
  // Events only: the traits stay.
  Run events = f.run("{\"user\":\"u-1\",\"type\":\"view\",\"item\":\"a1\",\"ts\":1764000000}\n", "", "out", true);
  INFO(joined(events.errors));
  REQUIRE(events.ok);
  CHECK(traits_of(events.profiles[user_hash("acme", "u-1")]) ==
        std::map<std::string, std::string>{{"interests", "hiking|running"}, {"ltv", std::to_string(250.0f)}, {"tier", "silver"}});
  // Traits only: tier updated, ltv cleared (null), interests untouched (column absent).
  Run traits = f.run("", "user,tier,ltv\nu-1,gold,\n", "out", true);
  INFO(joined(traits.errors));
  REQUIRE(traits.ok);
  CHECK(traits.stats.previous_profiles == 1);
  CHECK(traits_of(traits.profiles[user_hash("acme", "u-1")]) ==
        std::map<std::string, std::string>{{"interests", "hiking|running"}, {"tier", "gold"}});
  // The recent views survived too.
  auto p = Profile::open(traits.profiles[user_hash("acme", "u-1")]);
  REQUIRE(p.ok());
  CHECK(p->root().recent_viewed()->size() == 2);
}

TEST_CASE("profile traits: the union of shards is the unsharded build") {
  Fixture f;
  std::string events, crm = "user,tier,ltv,interests\n";
  for (int u = 0; u < 40; ++u) {
    events += "{\"user\":\"u-" + std::to_string(u) + "\",\"type\":\"view\",\"item\":\"b2\",\"ts\":1764000000}\n";
    crm += "u-" + std::to_string(u) + "," + (u % 2 ? "gold" : "silver") + "," + std::to_string(u * 10) + ",a|b\n";
  }
  crm += "u-99,gold,1,\n";  // traits only
  Run all = f.run(events, crm, "all");
  REQUIRE(all.ok);
  REQUIRE(all.profiles.size() == 41);
  std::map<std::string, std::vector<uint8_t>> joined_shards;
  uint64_t traits = 0;
  for (uint32_t i = 0; i < 3; ++i) {
    Run s = f.run(events, crm, "s", false, i, 3);
    REQUIRE(s.ok);
    CHECK(s.stats.trait_rows == 41);
    traits += s.stats.traits;
    for (auto& [h, b] : s.profiles) joined_shards[h] = b;
  }
  CHECK(traits == 41);
  CHECK(joined_shards == all.profiles);
}

TEST_CASE("profile traits: profile.<name> in segment conditions, only with personalization consent") {
  Fixture f;
  Run r = f.run(kEvents + "{\"user\":\"u-1\",\"type\":\"consent\",\"purposes\":[\"personalization\"],\"ts\":1764000000}\n",
                "user,tier,ltv,interests\nu-1,gold,1500,hiking\nu-2,gold,10,\n", "out");
  REQUIRE(r.ok);
  Engine e;
  REQUIRE(e.load_snapshot(f.built.snap.bytes).ok());
  auto segments = [&](const std::string& request, const std::vector<uint8_t>& profile) {
    Status st = e.decide(request, profile);
    INFO(st.message());
    REQUIRE(st.ok());
    return json::parse(e.output())["segments"];
  };
  const std::string req = R"({"slots": ["home"]})";
  CHECK(segments(req, r.profiles[user_hash("acme", "u-1")]) == json::array({"gold", "big", "hikers"}));
  CHECK(segments(req, r.profiles[user_hash("acme", "u-2")]) == json::array());  // no consent recorded
  CHECK(segments(R"({"slots": ["home"], "consent": ["personalization"]})", r.profiles[user_hash("acme", "u-2")]) ==
        json::array({"gold"}));  // the request's own consent
  CHECK(segments(R"({"slots": ["home"], "consent": []})", r.profiles[user_hash("acme", "u-1")]) == json::array());
  // A profile built before traits existed (no traits field) still loads: the traits are null.
  Run old = Fixture().run(kEvents + "{\"user\":\"u-1\",\"type\":\"consent\",\"purposes\":[\"personalization\"],\"ts\":1764000000}\n", "", "x");
  REQUIRE(old.ok);
  CHECK(segments(req, old.profiles[user_hash("acme", "u-1")]) == json::array());
}

TEST_CASE("profile traits: the CLI reads --traits tailor.json#profile_traits through its map, alone with --previous") {
  Fixture f;
  json cfg = traits_config();
  cfg["profile_traits"] = {{"path", "crm.ndjson"}, {"map", {{"user", "customer_id"}}}};
  const std::string config = f.dir.write("tailor.json", cfg.dump()).string();
  const std::string snap = f.dir.write("snap.tsnap", std::string(f.built.snap.bytes.begin(), f.built.snap.bytes.end())).string();
  f.dir.write("events.ndjson", kEvents);
  f.dir.write("crm.ndjson", "{\"customer_id\":\"u-1\",\"tier\":\"gold\",\"ltv\":99,\"interests\":[\"hiking\",\"hiking\"]}\n");
  const std::string out = (f.dir / "out").string(), file = "out/" + user_hash("acme", "u-1") + ".tprof";
  Argv run{"profiles", "--snapshot", snap, "--events", (f.dir / "events.ndjson").string(), "--traits",
           config + "#profile_traits", "--out", out, "--now", std::to_string(T), "--json"};
  REQUIRE(cmd_profiles(run.argc(), run.argv()) == kExitOk);
  std::string bytes = f.dir.read(file);
  CHECK(traits_of({bytes.begin(), bytes.end()}) ==
        std::map<std::string, std::string>{{"interests", "hiking"}, {"ltv", std::to_string(99.0f)}, {"tier", "gold"}});
  // Traits only, in place: tier changes, the rest stays.
  f.dir.write("crm.ndjson", "{\"customer_id\":\"u-1\",\"tier\":\"platinum\"}\n");
  Argv again{"profiles", "--snapshot", snap, "--traits", config + "#profile_traits", "--previous", out, "--out", out};
  REQUIRE(cmd_profiles(again.argc(), again.argv()) == kExitOk);
  bytes = f.dir.read(file);
  CHECK(traits_of({bytes.begin(), bytes.end()}) ==
        std::map<std::string, std::string>{{"interests", "hiking"}, {"ltv", std::to_string(99.0f)}, {"tier", "platinum"}});
  // A wrong type is exit 1 and names the row; no events, no traits is a usage error.
  f.dir.write("crm.ndjson", "{\"customer_id\":\"u-1\",\"interests\":{\"a\":1}}\n");
  Argv bad{"profiles", "--snapshot", snap, "--traits", config + "#profile_traits", "--previous", out, "--out", out};
  CHECK(cmd_profiles(bad.argc(), bad.argv()) == kExitInput);
  Argv none{"profiles", "--snapshot", snap, "--out", out};
  CHECK(cmd_profiles(none.argc(), none.argv()) == kExitUsage);
  Argv nokey{"profiles", "--snapshot", snap, "--traits", config + "#crm", "--out", out};
  CHECK(cmd_profiles(nokey.argc(), nokey.argv()) == kExitInput);
}
