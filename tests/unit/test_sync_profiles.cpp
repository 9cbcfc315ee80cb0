// tailor profiles: events -> per-visitor profiles (decayed, normalised affinities, embedding,
// recent lists, consent, identity), keyed by a hashed id.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "commands.h"
#include "profile_builder.h"
#include "tailor/profile.h"
#include "tailor/sha256.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;

namespace {

constexpr int64_t T = 1764000000;
constexpr int64_t kDay = 86400;

struct ProfileRun {
  bool ok = false;
  ProfileStats stats;
  ErrorList errors;
  std::map<std::string, std::vector<uint8_t>> profiles;  // by user_hash
  std::vector<std::string> order;                         // as emitted
};

class Fixture {
 public:
  explicit Fixture(const nlohmann::json& config = fixture_config()) {
    write_fixture(dir);
    BuildRun run = build_in(dir, config);
    INFO(joined(run.errors));
    REQUIRE(run.ok);
    bytes = run.snap.bytes;
    auto s = Snapshot::open(bytes);
    REQUIRE(s.ok());
    snap = *s;
  }

  ProfileRun run(const std::string& events, std::optional<int64_t> now = T, double half_life = 30) {
    ProfileRun r;
    ProfileOptions o;
    o.events_path = dir.write("events.ndjson", events);
    o.events_name = "events.ndjson";
    o.now = now;
    o.half_life_days = half_life;
    r.ok = build_profiles(snap, o,
                          [&](const std::string& hash, std::span<const uint8_t> b) {
                            r.order.push_back(hash);
                            r.profiles[hash].assign(b.begin(), b.end());
                            return Status::Ok();
                          },
                          r.stats, r.errors);
    return r;
  }

  TempDir dir;
  std::vector<uint8_t> bytes;
  Snapshot snap;
};

const fb::Profile& open(const std::vector<uint8_t>& bytes) {
  auto p = Profile::open(bytes);
  REQUIRE(p.ok());
  return p->root();
}

std::map<std::string, float> affinities(const flatbuffers::Vector<flatbuffers::Offset<fb::Affinity>>* v) {
  std::map<std::string, float> out;
  if (v)
    for (auto* a : *v) out[std::string(sv(a->key()))] = a->weight();
  return out;
}

std::vector<std::string> strings(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
  std::vector<std::string> out;
  if (v)
    for (auto* s : *v) out.emplace_back(sv(s));
  return out;
}

std::string ev(const std::string& user, const std::string& type, const std::string& item, int64_t ts) {
  return "{\"user\":\"" + user + "\",\"type\":\"" + type + "\",\"item\":\"" + item + "\",\"ts\":" + std::to_string(ts) +
         "}\n";
}

// u-1's history: a view now, a purchase 30 days ago (weight 5 * 1/2), an older view 60 days ago
// (1 * 1/4), a cart now (3), a view of an item the snapshot lacks, consent and identity.
std::string u1_events() {
  return "{\"user\":\"u-1\",\"type\":\"consent\",\"purposes\":[\"personalization\",\"analytics\"],\"ts\":" +
         std::to_string(T - 10) + "}\n" + ev("u-1", "view", "b2", T) + ev("u-1", "purchase", "a1", T - 30 * kDay) +
         ev("u-1", "view", "a1", T - 60 * kDay) + ev("u-1", "cart", "B0", T) + ev("u-1", "view", "ghost", T) +
         "{\"user\":\"u-1\",\"type\":\"consent\",\"purposes\":[],\"ts\":" + std::to_string(T - 100) + "}\n" +
         "{\"user\":\"u-1\",\"type\":\"identify\",\"account\":\"acct-9\",\"segments\":[\"vip\"],\"ts\":\"2025-11-24T16:00:00Z\"}\n";
}

}  // namespace

TEST_CASE("sync profiles: user_hash is the first 32 hex of sha256(tenant:user)") {
  CHECK(user_hash("acme", "u-1") == "9093562fd9e3bce5f924d205ce4bc121");
  CHECK(user_hash("acme", "u-1") == sha256_hex(std::string_view("acme:u-1")).substr(0, 32));
  CHECK(user_hash("acme", "u-2") != user_hash("other", "u-2"));
}

TEST_CASE("sync profiles: decayed affinities normalised so the strongest is 1") {
  Fixture f;
  ProfileRun r = f.run(u1_events());
  INFO(joined(r.errors));
  REQUIRE(r.ok);
  CHECK(r.stats.events == 8);
  CHECK(r.stats.skipped == 1);
  CHECK(r.stats.profiles == 1);
  const std::string hash = user_hash("acme", "u-1");
  REQUIRE(r.profiles.count(hash));
  const fb::Profile& p = open(r.profiles[hash]);
  CHECK(p.schema_version() == 1);
  CHECK(sv(p.user_hash()) == hash);
  CHECK(sv(p.tenant()) == "acme");

  // running: view 1 + cart 3 = 4; hiking: 2.5 + 0.25 = 2.75.
  auto cats = affinities(p.categories());
  CHECK(cats.size() == 2);
  CHECK(cats["running"] == 1.0f);
  CHECK(cats["hiking"] == doctest::Approx(2.75 / 4));
  CHECK(sv(p.categories()->Get(0)->key()) == "hiking");  // sorted by key
  auto brands = affinities(p.brands());
  CHECK(brands["swift"] == 1.0f);
  CHECK(brands["ridge"] == doctest::Approx(2.75 / 4));
}

TEST_CASE("sync profiles: attribute affinities per categorical/tag attribute, normalised per attribute") {
  Fixture f;
  ProfileRun r = f.run(u1_events());
  REQUIRE(r.ok);
  const fb::Profile& p = open(r.profiles[user_hash("acme", "u-1")]);
  std::map<std::pair<std::string, std::string>, float> attrs;
  std::vector<std::pair<std::string, std::string>> order;
  for (auto* a : *p.attributes()) {
    attrs[{std::string(sv(a->attribute())), std::string(sv(a->value()))}] = a->weight();
    order.push_back({std::string(sv(a->attribute())), std::string(sv(a->value()))});
  }
  CHECK(std::is_sorted(order.begin(), order.end()));
  CHECK(attrs.size() == 5);  // no entries for the number attribute "rating"
  CHECK(attrs[{"color", "blue"}] == 1.0f);
  CHECK(attrs[{"color", "red"}] == doctest::Approx(1 / 2.75));
  CHECK(attrs[{"labels", "sale"}] == 1.0f);
  CHECK(attrs[{"labels", "new"}] == 1.0f);
  CHECK(attrs[{"labels", "waterproof"}] == doctest::Approx(3 / 3.75));
}

TEST_CASE("sync profiles: embedding is the weighted mean of item vectors, unit length") {
  Fixture f;
  ProfileRun r = f.run(u1_events());
  REQUIRE(r.ok);
  const fb::Profile& p = open(r.profiles[user_hash("acme", "u-1")]);
  REQUIRE(p.embedding());
  REQUIRE(p.embedding()->size() == 3);
  CHECK(p.embedding()->Get(0) == doctest::Approx(0.41264881));
  CHECK(p.embedding()->Get(1) == doctest::Approx(0.44803817));
  CHECK(p.embedding()->Get(2) == doctest::Approx(0.79308433));

  // int8 snapshots are dequantised first: the result is close to the f32 one.
  auto cfg = fixture_config();
  cfg["embedding"]["format"] = "int8";
  Fixture g(cfg);
  ProfileRun q = g.run(u1_events());
  REQUIRE(q.ok);
  const fb::Profile& pq = open(q.profiles[user_hash("acme", "u-1")]);
  REQUIRE(pq.embedding());
  CHECK(pq.embedding()->Get(2) == doctest::Approx(0.79308433).epsilon(0.01));

  // No embedding in the snapshot: none in the profile.
  auto none = fixture_config();
  none.erase("embedding");
  none["strategies"][1]["terms"].erase(3);
  Fixture h(none);
  ProfileRun n = h.run(u1_events());
  REQUIRE(n.ok);
  CHECK(open(n.profiles[user_hash("acme", "u-1")]).embedding() == nullptr);
}

TEST_CASE("sync profiles: recent lists, consent, identity and updated_at") {
  Fixture f;
  ProfileRun r = f.run(u1_events());
  REQUIRE(r.ok);
  const fb::Profile& p = open(r.profiles[user_hash("acme", "u-1")]);
  CHECK(strings(p.recent_viewed()) == std::vector<std::string>{"b2", "a1"});  // carts are not views; ghost skipped
  CHECK(strings(p.recent_bought()) == std::vector<std::string>{"a1"});
  // The consent with the later ts wins, even though an older one comes later in the file.
  CHECK(strings(p.consent()) == std::vector<std::string>{"personalization", "analytics"});
  CHECK(sv(p.account_id()) == "acct-9");
  CHECK(strings(p.segments()) == std::vector<std::string>{"vip"});
  CHECK(p.updated_at() == T);
  auto prof = Profile::open(r.profiles[user_hash("acme", "u-1")]);
  REQUIRE(prof.ok());
  CHECK(prof->has_consent("personalization"));
}

TEST_CASE("sync profiles: a later consent replaces the purposes, an empty list withdraws them") {
  Fixture f;
  std::string events = "{\"user\":\"u\",\"type\":\"consent\",\"purposes\":[\"personalization\"],\"ts\":100}\n"
                       "{\"user\":\"u\",\"type\":\"consent\",\"purposes\":[],\"ts\":200}\n";
  ProfileRun r = f.run(events, std::nullopt);
  REQUIRE(r.ok);
  const fb::Profile& p = open(r.profiles[user_hash("acme", "u")]);
  REQUIRE(p.consent());
  CHECK(p.consent()->size() == 0);
  CHECK_FALSE(Profile::open(r.profiles[user_hash("acme", "u")])->has_consent("personalization"));
}

TEST_CASE("sync profiles: recent_viewed is distinct, newest first, at most 20, recent_bought at most 50") {
  TempDir dir;
  std::string items = "id,category\n";
  for (int i = 0; i < 60; ++i) items += "i" + std::to_string(100 + i) + ",c\n";
  dir.write("items.csv", items);
  auto cfg = nlohmann::json::parse(R"({"schema":1,"tenant":{"id":"t"},"built_at":1,"items":{"path":"items.csv"},
    "strategies":[{"id":"s","terms":[{"kind":"category_affinity"}]}],"slots":[{"id":"x","strategy":"s"}]})");
  BuildRun b = build_in(dir, cfg);
  REQUIRE(b.ok);
  auto snap = Snapshot::open(b.snap.bytes);
  REQUIRE(snap.ok());
  std::string events;
  for (int i = 0; i < 30; ++i) events += ev("v", "view", "i" + std::to_string(100 + i), 1000 + i);
  events += ev("v", "view", "i100", 5000);  // seen again, newest
  for (int i = 0; i < 60; ++i) events += ev("v", "purchase", "i" + std::to_string(100 + i), 2000 + i);
  ProfileOptions o;
  o.events_path = dir.write("e.ndjson", events);
  ProfileStats stats;
  ErrorList errors;
  std::vector<uint8_t> got;
  REQUIRE(build_profiles(*snap, o,
                         [&](const std::string&, std::span<const uint8_t> bytes) {
                           got.assign(bytes.begin(), bytes.end());
                           return Status::Ok();
                         },
                         stats, errors));
  const fb::Profile& p = open(got);
  auto viewed = strings(p.recent_viewed());
  REQUIRE(viewed.size() == 20);
  CHECK(viewed[0] == "i100");
  CHECK(viewed[1] == "i129");
  CHECK(viewed[19] == "i111");
  auto bought = strings(p.recent_bought());
  REQUIRE(bought.size() == 50);
  CHECK(bought[0] == "i159");
  CHECK(bought[49] == "i110");
  CHECK(p.updated_at() == 5000);
}

TEST_CASE("sync profiles: now defaults to the newest event, --now decides decay") {
  Fixture f;
  std::string events = ev("u", "view", "b2", T - 30 * kDay) + ev("u", "view", "a1", T);
  ProfileRun r = f.run(events, std::nullopt);
  REQUIRE(r.ok);
  CHECK(r.stats.now == T);
  auto cats = affinities(open(r.profiles[user_hash("acme", "u")]).categories());
  CHECK(cats["hiking"] == 1.0f);
  CHECK(cats["running"] == doctest::Approx(0.5));
  // A shorter half-life decays faster.
  ProfileRun fast = f.run(events, std::nullopt, 15);
  CHECK(affinities(open(fast.profiles[user_hash("acme", "u")]).categories())["running"] == doctest::Approx(0.25));
  // Events after --now count fully (age is never negative).
  ProfileRun early = f.run(events, T - 60 * kDay);
  auto flat = affinities(open(early.profiles[user_hash("acme", "u")]).categories());
  CHECK(flat["running"] == 1.0f);
  CHECK(flat["hiking"] == 1.0f);
}

TEST_CASE("sync profiles: output is sorted by user hash and never holds the raw user id") {
  Fixture f;
  std::string events;
  for (const char* u : {"zed@example.com", "amy@example.com", "bob@example.com"}) events += ev(u, "view", "b2", T);
  ProfileRun r = f.run(events);
  REQUIRE(r.ok);
  REQUIRE(r.order.size() == 3);
  CHECK(std::is_sorted(r.order.begin(), r.order.end()));
  for (auto& [hash, bytes] : r.profiles) {
    std::string s(bytes.begin(), bytes.end());
    CHECK(s.find("example.com") == std::string::npos);
  }
}

TEST_CASE("sync profiles: malformed events are errors with line numbers, and nothing is emitted") {
  Fixture f;
  std::string events = ev("u", "view", "b2", T) +                      // 1 ok
                       "{\"user\":\"u\",\"type\":\"view\",\"item\":\n" +  // 2 bad JSON
                       "{\"type\":\"view\",\"item\":\"b2\",\"ts\":1}\n" +  // 3 no user
                       ev("u", "like", "b2", T) +                      // 4 unknown type
                       "{\"user\":\"u\",\"type\":\"view\",\"ts\":1}\n" +   // 5 no item
                       "{\"user\":\"u\",\"type\":\"view\",\"item\":\"b2\",\"ts\":\"soon\"}\n" +  // 6 bad ts
                       "{\"user\":\"u\",\"type\":\"consent\",\"ts\":1}\n";  // 7 no purposes
  ProfileRun r = f.run(events);
  INFO(joined(r.errors));
  CHECK_FALSE(r.ok);
  CHECK(r.profiles.empty());
  CHECK(has_error(r.errors, "events.ndjson:2: invalid JSON"));
  CHECK(has_error(r.errors, "events.ndjson:3: field 'user': is required"));
  CHECK(has_error(r.errors, "events.ndjson:4: field 'type': unknown event type 'like' (expected one of: view, cart, purchase, search, consent, identify)"));
  CHECK(has_error(r.errors, "events.ndjson:5: field 'item': is required"));
  CHECK(has_error(r.errors, "events.ndjson:6: field 'ts': 'soon' is not a timestamp"));
  CHECK(has_error(r.errors, "events.ndjson:7: field 'purposes': is required"));
  CHECK(r.errors.messages().size() == 6);
}

TEST_CASE("sync profiles: the CLI writes <user_hash>.tprof files") {
  Fixture f;
  f.dir.write("events.ndjson", u1_events());
  const std::string out = (f.dir / "profiles").string();
  f.dir.write("snap.tsnap", std::string(f.bytes.begin(), f.bytes.end()));
  Argv argv{"profiles", "--snapshot", (f.dir / "snap.tsnap").string(), "--events", (f.dir / "events.ndjson").string(),
            "--out", out, "--now", std::to_string(T), "--json"};
  CHECK(cmd_profiles(argv.argc(), argv.argv()) == 0);
  const std::string file = user_hash("acme", "u-1") + ".tprof";
  REQUIRE(std::filesystem::exists(f.dir / "profiles" / file));
  std::string bytes = f.dir.read("profiles/" + file);
  CHECK(Profile::open({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}).ok());
  // No temporary files left behind: the profile and the state directory for the next run.
  std::vector<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(f.dir / "profiles")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{file, "tailor-state"});
  names.clear();
  for (auto& e : std::filesystem::directory_iterator(f.dir / "profiles" / "tailor-state"))
    names.push_back(e.path().filename().string());
  CHECK(names == std::vector<std::string>{"shard-0-of-1"});

  Argv bad{"profiles", "--snapshot", (f.dir / "nope.tsnap").string(), "--events", "e", "--out", out};
  CHECK(cmd_profiles(bad.argc(), bad.argv()) == kExitIo);
  Argv usage{"profiles", "--snapshot", "x"};
  CHECK(cmd_profiles(usage.argc(), usage.argv()) == kExitUsage);
  Argv half{"profiles", "--snapshot", "x", "--events", "e", "--out", out, "--half-life-days", "0"};
  CHECK(cmd_profiles(half.argc(), half.argv()) == kExitUsage);
}

TEST_CASE("sync profiles: --events-source reads events from a CSV source with a map, like NDJSON") {
  Fixture f;
  f.dir.write("snap.tsnap", std::string(f.bytes.begin(), f.bytes.end()));
  f.dir.write("events.ndjson",
              "{\"user\":\"u-1\",\"type\":\"view\",\"item\":\"b2\",\"ts\":1764000000}\n"
              "{\"user\":\"u-1\",\"type\":\"purchase\",\"item\":\"a1\",\"ts\":1764000100}\n"
              "{\"user\":\"u-2\",\"type\":\"consent\",\"purposes\":[\"personalization\",\"ads\"],\"ts\":1764000000}\n"
              "{\"user\":\"u-2\",\"type\":\"identify\",\"account\":\"acct-1\",\"segments\":[\"vip\"],\"ts\":1764000000}\n");
  f.dir.write("clicks.csv",
              "visitor,kind,sku,at,purposes,account,segments\n"
              "u-1,view,b2,2025-11-24T16:00:00Z,,,\n"
              "u-1,purchase,a1,1764000100,,,\n"
              "u-2,consent,,1764000000,personalization|ads,,\n"
              "u-2,identify,,1764000000,,acct-1,vip\n");
  nlohmann::json cfg = fixture_config();
  cfg["events"] = {{"path", "clicks.csv"}, {"map", {{"user", "visitor"}, {"type", "kind"}, {"item", "sku"}, {"ts", "at"}}}};
  const std::string config = f.dir.write("tailor.json", cfg.dump()).string();
  const std::string snap = (f.dir / "snap.tsnap").string(), now = std::to_string(T + kDay);
  Argv ndjson{"profiles", "--snapshot", snap, "--events", (f.dir / "events.ndjson").string(), "--out",
              (f.dir / "a").string(), "--now", now};
  REQUIRE(cmd_profiles(ndjson.argc(), ndjson.argv()) == kExitOk);
  Argv csv{"profiles", "--snapshot", snap, "--events-source", config + "#events", "--out", (f.dir / "b").string(),
           "--now", now};
  REQUIRE(cmd_profiles(csv.argc(), csv.argv()) == kExitOk);
  for (const char* user : {"u-1", "u-2"}) {
    const std::string file = user_hash("acme", user) + ".tprof";
    CHECK(f.dir.read("a/" + file) == f.dir.read("b/" + file));
    CHECK_FALSE(f.dir.read("b/" + file).empty());
  }
  // The whole object inline, with a bad row: located by source, line and field; exit 1.
  f.dir.write("bad.csv", "user,type,item,ts\nu-1,view,b2,1764000000\nu-1,like,b2,1764000000\n,view,b2,1\n");
  Argv bad{"profiles", "--snapshot", snap, "--events-source", "{\"path\": \"" + (f.dir / "bad.csv").string() + "\"}",
           "--out", (f.dir / "c").string()};
  CHECK(cmd_profiles(bad.argc(), bad.argv()) == kExitInput);
  CHECK_FALSE(std::filesystem::exists(f.dir / "c" / (user_hash("acme", "u-1") + ".tprof")));
  // Missing column, unknown key, both --events and --events-source, unreadable spec file.
  Argv missing{"profiles", "--snapshot", snap, "--events-source",
               "{\"path\": \"" + (f.dir / "clicks.csv").string() + "\", \"map\": {\"user\": \"uid\"}}", "--out",
               (f.dir / "d").string()};
  CHECK(cmd_profiles(missing.argc(), missing.argv()) == kExitInput);
  Argv nokey{"profiles", "--snapshot", snap, "--events-source", config + "#clicks", "--out", (f.dir / "d").string()};
  CHECK(cmd_profiles(nokey.argc(), nokey.argv()) == kExitInput);
  Argv both{"profiles", "--snapshot", snap, "--events", "e", "--events-source", config + "#events", "--out", "x"};
  CHECK(cmd_profiles(both.argc(), both.argv()) == kExitUsage);
  Argv nofile{"profiles", "--snapshot", snap, "--events-source", (f.dir / "none.json").string(), "--out", "x"};
  CHECK(cmd_profiles(nofile.argc(), nofile.argv()) == kExitIo);
  // tailor build accepts (and ignores) the events key.
  CHECK(build_in(f.dir, cfg).ok);
}
