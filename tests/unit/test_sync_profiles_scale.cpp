// tailor profiles at scale: incremental builds (previous state + new events == a full rebuild),
// shards (their union == the unsharded build), streaming through partition spill files, search
// events, and hashed ids everywhere a file is written.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "commands.h"
#include "profile_builder.h"
#include "profile_state.h"
#include "search_terms.h"
#include "tailor/profile.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;

namespace {

constexpr int64_t T0 = 1764000000;
constexpr int64_t kDay = 86400;

using Profiles = std::map<std::string, std::vector<uint8_t>>;

struct Run {
  bool ok = false;
  ProfileStats stats;
  ErrorList errors;
  Profiles profiles;
  std::vector<std::string> order;
};

class Fixture {
 public:
  Fixture() {
    write_fixture(dir);
    BuildRun run = build_in(dir, fixture_config());
    INFO(joined(run.errors));
    REQUIRE(run.ok);
    bytes = run.snap.bytes;
    auto s = Snapshot::open(bytes);
    REQUIRE(s.ok());
    snap = *s;
  }

  // Runs build_profiles over `events`; `opts` supplies everything but the events file.
  Run run(const std::string& events, ProfileOptions opts = {},
          const std::function<void()>& during_sink = {}) {
    Run r;
    opts.events_path = dir.write("events-" + std::to_string(++n_) + ".ndjson", events);
    opts.events_name = "events.ndjson";
    opts.progress = 0;
    r.ok = build_profiles(snap, opts,
                          [&](const std::string& hash, std::span<const uint8_t> b) {
                            if (during_sink) during_sink();
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

 private:
  int n_ = 0;
};

std::string raw_user(int u) { return "visitor-" + std::to_string(u) + "@example.com"; }

// A deterministic stream over `users` visitors (enough to fill many partitions), every event
// kind, in time order from `start`, one event every `step` seconds.
std::string stream(int count, int users, int64_t start, int64_t step, uint64_t seed) {
  static const char* items[] = {"b2", "a1", "c3", "B0"};
  static const char* queries[] = {"running shoes", "Swift trainers", "hiking boots", "nothing here"};
  std::string out;
  uint64_t s = seed;
  auto next = [&] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return s >> 33;
  };
  for (int i = 0; i < count; ++i) {
    const std::string user = raw_user(static_cast<int>(next() % static_cast<uint64_t>(users)));
    const int64_t ts = start + i * step;
    const uint64_t k = next() % 20;
    std::string e = "{\"user\":\"" + user + "\",\"ts\":" + std::to_string(ts) + ",";
    if (k < 8) e += "\"type\":\"view\",\"item\":\"" + std::string(items[next() % 4]) + "\"}";
    else if (k < 11) e += "\"type\":\"cart\",\"item\":\"" + std::string(items[next() % 4]) + "\"}";
    else if (k < 13) e += "\"type\":\"purchase\",\"item\":\"" + std::string(items[next() % 4]) + "\"}";
    else if (k < 16) e += "\"type\":\"search\",\"query\":\"" + std::string(queries[next() % 4]) + "\"}";
    else if (k < 17) e += "\"type\":\"view\",\"item\":\"ghost\"}";
    else if (k < 19)
      e += "\"type\":\"consent\",\"purposes\":" + std::string(next() % 3 ? "[\"personalization\"]" : "[]") + "}";
    else e += "\"type\":\"identify\",\"account\":\"acct-" + std::to_string(next() % 5) + "\",\"segments\":[\"vip\"]}";
    out += e + "\n";
  }
  return out;
}

std::vector<std::string> strings(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
  std::vector<std::string> out;
  if (v)
    for (auto* s : *v) out.emplace_back(sv(s));
  return out;
}

std::map<std::string, float> affinities(const flatbuffers::Vector<flatbuffers::Offset<fb::Affinity>>* v) {
  std::map<std::string, float> out;
  if (v)
    for (auto* a : *v) out[std::string(sv(a->key()))] = a->weight();
  return out;
}

void check_close(const std::map<std::string, float>& a, const std::map<std::string, float>& b) {
  REQUIRE(a.size() == b.size());
  for (auto& [k, w] : a) {
    REQUIRE(b.count(k));
    CHECK(b.at(k) == doctest::Approx(w).epsilon(1e-5));
  }
}

// Same profile within the documented tolerance: identical lists and identity, weights and the
// embedding equal to 1e-5 relative.
void check_same_profile(const std::vector<uint8_t>& x, const std::vector<uint8_t>& y) {
  auto px = Profile::open(x), py = Profile::open(y);
  REQUIRE(px.ok());
  REQUIRE(py.ok());
  const fb::Profile& a = px->root();
  const fb::Profile& b = py->root();
  CHECK(sv(a.user_hash()) == sv(b.user_hash()));
  CHECK(a.updated_at() == b.updated_at());
  check_close(affinities(a.categories()), affinities(b.categories()));
  check_close(affinities(a.brands()), affinities(b.brands()));
  std::map<std::string, float> aa, ba;
  if (a.attributes())
    for (auto* t : *a.attributes()) aa[std::string(sv(t->attribute())) + "=" + std::string(sv(t->value()))] = t->weight();
  if (b.attributes())
    for (auto* t : *b.attributes()) ba[std::string(sv(t->attribute())) + "=" + std::string(sv(t->value()))] = t->weight();
  check_close(aa, ba);
  REQUIRE((a.embedding() == nullptr) == (b.embedding() == nullptr));
  if (a.embedding()) {
    REQUIRE(a.embedding()->size() == b.embedding()->size());
    for (uint32_t k = 0; k < a.embedding()->size(); ++k)
      CHECK(b.embedding()->Get(k) == doctest::Approx(a.embedding()->Get(k)).epsilon(1e-5));
  }
  CHECK(strings(a.recent_viewed()) == strings(b.recent_viewed()));
  CHECK(strings(a.recent_bought()) == strings(b.recent_bought()));
  CHECK((a.consent() == nullptr) == (b.consent() == nullptr));
  CHECK(strings(a.consent()) == strings(b.consent()));
  CHECK(strings(a.segments()) == strings(b.segments()));
  CHECK(sv(a.account_id()) == sv(b.account_id()));
}

// Every file under `dir` as one string per file.
std::vector<std::pair<std::string, std::string>> all_files(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream f(it->path(), std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    out.push_back({it->path().string(), ss.str()});
  }
  return out;
}

}  // namespace

TEST_CASE("sync profiles scale: search words are lower-cased, split on punctuation, plural s dropped") {
  CHECK(search_words("Trail-Running SHOES, size 42") ==
        std::vector<std::string>{"trail", "running", "shoe", "size", "42"});
  CHECK(search_words("gas") == std::vector<std::string>{"gas"});  // short words keep their s
  CHECK(search_words("  ").empty());
  CHECK(search_words("Jäger boots") == std::vector<std::string>{"jäger", "boot"});
}

TEST_CASE("sync profiles scale: a search names categories and brands by every word of their name or id") {
  Fixture f;
  SearchMatcher m(f.snap);
  std::vector<int32_t> cats, brands;
  auto cat_ids = [&] {
    std::vector<std::string> out;
    for (int32_t c : cats) out.emplace_back(sv(f.snap.root().categories()->Get(c)->id()));
    return out;
  };
  auto brand_ids = [&] {
    std::vector<std::string> out;
    for (int32_t b : brands) out.emplace_back(sv(f.snap.root().brands()->Get(b)->id()));
    return out;
  };
  m.match("Running shoes from SWIFT", cats, brands);
  CHECK(cat_ids() == std::vector<std::string>{"running"});
  CHECK(brand_ids() == std::vector<std::string>{"swift"});
  m.match("hiking and apparel", cats, brands);
  CHECK(cat_ids() == std::vector<std::string>{"hiking", "apparel"});
  CHECK(brands.empty());
  m.match("run", cats, brands);  // a word must match whole
  CHECK(cats.empty());
}

TEST_CASE("sync profiles scale: search events raise category and brand affinity with weight 2, shared") {
  Fixture f;
  std::string ev = "{\"user\":\"u\",\"type\":\"view\",\"item\":\"a1\",\"ts\":" + std::to_string(T0) + "}\n" +
                   "{\"user\":\"u\",\"type\":\"search\",\"query\":\"running or hiking\",\"ts\":" + std::to_string(T0) +
                   "}\n" + "{\"user\":\"u\",\"type\":\"search\",\"query\":\"swift\",\"ts\":" + std::to_string(T0) + "}\n";
  ProfileOptions o;
  o.now = T0;
  Run r = f.run(ev, o);
  INFO(joined(r.errors));
  REQUIRE(r.ok);
  CHECK(r.stats.searches_matched == 2);
  auto p = Profile::open(r.profiles[user_hash("acme", "u")]);
  REQUIRE(p.ok());
  // hiking: view 1 + search 2/2 = 2; running: 2/2 = 1. Brands: ridge 1 (view), swift 2 (search).
  auto cats = affinities(p->root().categories());
  CHECK(cats["hiking"] == 1.0f);
  CHECK(cats["running"] == doctest::Approx(0.5));
  auto brands = affinities(p->root().brands());
  CHECK(brands["swift"] == 1.0f);
  CHECK(brands["ridge"] == doctest::Approx(0.5));
  CHECK(strings(p->root().recent_viewed()) == std::vector<std::string>{"a1"});  // searches are not views

  Run bad = f.run("{\"user\":\"u\",\"type\":\"search\",\"ts\":1}\n", o);
  CHECK_FALSE(bad.ok);
  CHECK(has_error(bad.errors, "events.ndjson:1: field 'query': is required"));
}

TEST_CASE("sync profiles scale: incremental build over a split stream equals the full rebuild") {
  Fixture f;
  const std::string first = stream(1500, 200, T0 - 60 * kDay, 1800, 7);
  const std::string second = stream(800, 260, T0 - 60 * kDay + 1500 * 1800, 2400, 11);  // new visitors too
  TempDir full_dir, inc_dir;

  ProfileOptions full;
  full.state_out = full_dir.path();
  Run whole = f.run(first + second, full);
  INFO(joined(whole.errors));
  REQUIRE(whole.ok);

  ProfileOptions a;
  a.state_out = inc_dir.path();
  Run part1 = f.run(first, a);
  REQUIRE(part1.ok);
  ProfileOptions b;
  b.previous = inc_dir.path();
  b.state_out = inc_dir.path();
  Run part2 = f.run(second, b);
  INFO(joined(part2.errors));
  REQUIRE(part2.ok);

  CHECK(part2.stats.now == whole.stats.now);
  CHECK(part2.stats.previous_profiles == part1.stats.profiles);
  CHECK(part2.stats.events == 800);
  REQUIRE(part2.profiles.size() == whole.profiles.size());
  CHECK(whole.profiles.size() > 200);
  for (auto& [hash, bytes] : whole.profiles) {
    INFO(hash);
    REQUIRE(part2.profiles.count(hash));
    check_same_profile(bytes, part2.profiles[hash]);
  }
  // A third, empty increment moves `now` forward: normalised profiles keep their shape.
  ProfileOptions c;
  c.previous = inc_dir.path();
  c.now = whole.stats.now + 10 * kDay;
  Run later = f.run("", c);
  REQUIRE(later.ok);
  CHECK(later.stats.now == whole.stats.now + 10 * kDay);
  CHECK(later.profiles.size() == whole.profiles.size());
  for (auto& [hash, bytes] : whole.profiles) check_same_profile(bytes, later.profiles[hash]);
}

TEST_CASE("sync profiles scale: decay of the previous state matches events decayed to the new now") {
  Fixture f;
  // Full: a1 viewed at T0-30d, b2 viewed at T0, now = T0: hiking 1/2, running 1.
  // Incremental: the first run's now is T0-30d (a1 at full weight), carried 30 days forward.
  const std::string e1 = "{\"user\":\"u\",\"type\":\"view\",\"item\":\"a1\",\"ts\":" + std::to_string(T0 - 30 * kDay) + "}\n";
  const std::string e2 = "{\"user\":\"u\",\"type\":\"view\",\"item\":\"b2\",\"ts\":" + std::to_string(T0) + "}\n";
  TempDir d;
  ProfileOptions a;
  a.state_out = d.path();
  REQUIRE(f.run(e1, a).ok);
  ProfileOptions b;
  b.previous = d.path();
  Run r = f.run(e2, b);
  REQUIRE(r.ok);
  auto cats = affinities(Profile::open(r.profiles[user_hash("acme", "u")])->root().categories());
  CHECK(cats["running"] == 1.0f);
  CHECK(cats["hiking"] == doctest::Approx(0.5));
}

TEST_CASE("sync profiles scale: the union of shards is the unsharded build, byte for byte") {
  Fixture f;
  const std::string events = stream(2000, 300, T0 - 30 * kDay, 900, 3);
  Run all = f.run(events);
  REQUIRE(all.ok);
  for (uint32_t n : {2u, 3u, 7u}) {
    Profiles merged;
    uint64_t events_sum = 0, skipped_sum = 0;
    for (uint32_t i = 0; i < n; ++i) {
      ProfileOptions o;
      o.shard_index = i;
      o.shard_count = n;
      Run s = f.run(events, o);
      REQUIRE(s.ok);
      CHECK(s.stats.now == all.stats.now);  // every shard decays to the same now
      CHECK(std::is_sorted(s.order.begin(), s.order.end()));
      events_sum += s.stats.events;
      skipped_sum += s.stats.skipped;
      for (auto& [h, b] : s.profiles) {
        CHECK(merged.count(h) == 0);  // a visitor is in exactly one shard
        merged[h] = b;
      }
    }
    CHECK(events_sum == all.stats.events);
    CHECK(skipped_sum == all.stats.skipped);
    CHECK(merged == all.profiles);
  }
}

TEST_CASE("sync profiles scale: shards continue from a previous build of another sharding") {
  Fixture f;
  const std::string first = stream(1000, 150, T0 - 40 * kDay, 1200, 5);
  const std::string second = stream(500, 150, T0 - 40 * kDay + 1000 * 1200, 1200, 9);
  TempDir sharded, whole_dir;
  for (uint32_t i = 0; i < 2; ++i) {
    ProfileOptions o;
    o.shard_index = i;
    o.shard_count = 2;
    o.state_out = sharded.path();
    REQUIRE(f.run(first, o).ok);
  }
  CHECK(std::filesystem::exists(sharded / "tailor-state" / "shard-0-of-2" / "manifest.json"));
  CHECK(std::filesystem::exists(sharded / "tailor-state" / "shard-1-of-2" / "manifest.json"));
  // Unsharded continuation reads both shards' state.
  ProfileOptions inc;
  inc.previous = sharded.path();
  Run cont = f.run(second, inc);
  INFO(joined(cont.errors));
  REQUIRE(cont.ok);
  Run whole = f.run(first + second);
  REQUIRE(whole.ok);
  REQUIRE(cont.profiles.size() == whole.profiles.size());
  for (auto& [h, b] : whole.profiles) check_same_profile(b, cont.profiles[h]);

  // A 3-way shard cannot continue from an incomplete earlier sharding.
  std::filesystem::remove_all(sharded / "tailor-state" / "shard-1-of-2");
  ProfileOptions bad;
  bad.previous = sharded.path();
  bad.shard_index = 0;
  bad.shard_count = 3;
  Run r = f.run(second, bad);
  CHECK_FALSE(r.ok);
  CHECK(has_error(r.errors, "previous state is incomplete for shard 0/3 (found 1 of 2 shards)"));
}

TEST_CASE("sync profiles scale: incremental refuses another half-life, tenant-less state or an earlier now") {
  Fixture f;
  TempDir d, empty;
  ProfileOptions a;
  a.state_out = d.path();
  a.now = T0;
  REQUIRE(f.run(stream(50, 10, T0 - kDay, 60, 1), a).ok);

  ProfileOptions hl;
  hl.previous = d.path();
  hl.half_life_days = 7;
  Run r1 = f.run("", hl);
  CHECK_FALSE(r1.ok);
  CHECK(has_error(r1.errors, "previous build used a half-life of 30"));

  ProfileOptions early;
  early.previous = d.path();
  early.now = T0 - 1;
  Run r2 = f.run("", early);
  CHECK_FALSE(r2.ok);
  CHECK(has_error(r2.errors, "decay cannot run backwards"));

  ProfileOptions none;
  none.previous = empty.path();
  Run r3 = f.run("", none);
  CHECK_FALSE(r3.ok);
  CHECK(has_error(r3.errors, "no profile state (tailor-state/)"));

  // A damaged partition file is reported, not half-read.
  std::filesystem::resize_file(partition_file(shard_state_dir(d.path(), 0, 1), 0x00), 30);
  for (uint32_t p = 0; p < kPartitions; ++p) {
    auto file = partition_file(shard_state_dir(d.path(), 0, 1), p);
    if (std::filesystem::file_size(file) > 12) std::filesystem::resize_file(file, std::filesystem::file_size(file) - 3);
  }
  ProfileOptions broken;
  broken.previous = d.path();
  Run r4 = f.run("", broken);
  CHECK_FALSE(r4.ok);
  CHECK(has_error(r4.errors, "profile state file is truncated or corrupt"));

  // A file that does not start with the state magic is refused as a whole.
  const auto first = partition_file(shard_state_dir(d.path(), 0, 1), 0x00);
  std::string bytes = d.read(first.lexically_relative(d.path()).string());
  REQUIRE(bytes.size() >= 4);
  bytes[0] = 'X';
  d.write(first.lexically_relative(d.path()).string(), bytes);
  Run r5 = f.run("", broken);
  CHECK_FALSE(r5.ok);
  CHECK(has_error(r5.errors, "not a profile state file (versions 1 to 2)"));
}

TEST_CASE("sync profiles scale: streaming spills hashed ids only, emits in hash order and cleans up") {
  Fixture f;
  const std::string events = stream(3000, 400, T0 - 20 * kDay, 300, 13);
  TempDir spill, out;
  ProfileOptions o;
  o.spill_dir = spill.path();
  o.state_out = out.path();
  size_t spill_files_seen = 0;
  bool raw_seen = false;
  // While profiles are emitted, later partitions' spill files still exist: inspect them.
  Run r = f.run(events, o, [&] {
    if (spill_files_seen) return;
    for (auto& [path, content] : all_files(spill.path())) {
      ++spill_files_seen;
      raw_seen = raw_seen || content.find("@example.com") != std::string::npos ||
                 content.find("visitor-") != std::string::npos;
    }
  });
  INFO(joined(r.errors));
  REQUIRE(r.ok);
  CHECK(spill_files_seen > 10);  // spread over many partitions
  CHECK_FALSE(raw_seen);
  CHECK(std::is_sorted(r.order.begin(), r.order.end()));
  CHECK(r.order.size() == r.stats.profiles);
  CHECK(r.stats.spill_bytes > 0);
  CHECK(all_files(spill.path()).empty());  // removed at the end
  // No raw id in the state or in any profile.
  auto state = all_files(out.path());
  CHECK(state.size() == kPartitions + 1);  // p00..pff + manifest.json
  for (auto& [path, content] : state) {
    INFO(path);
    CHECK(content.find("@example.com") == std::string::npos);
  }
  for (auto& [h, b] : r.profiles) {
    std::string s(b.begin(), b.end());
    CHECK(s.find("@example.com") == std::string::npos);
  }
}

TEST_CASE("sync profiles scale: a failed run leaves the previous state in place") {
  Fixture f;
  TempDir d;
  ProfileOptions a;
  a.state_out = d.path();
  REQUIRE(f.run(stream(100, 20, T0 - kDay, 60, 2), a).ok);
  const std::string before = d.read("tailor-state/shard-0-of-1/manifest.json");
  ProfileOptions b;
  b.previous = d.path();
  b.state_out = d.path();
  Run bad = f.run("{\"user\":\"u\",\"type\":\"view\"}\n", b);
  CHECK_FALSE(bad.ok);
  CHECK(bad.profiles.empty());
  CHECK(d.read("tailor-state/shard-0-of-1/manifest.json") == before);
  std::vector<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(d / "tailor-state")) names.push_back(e.path().filename().string());
  CHECK(names == std::vector<std::string>{"shard-0-of-1"});  // no spill or temporary state left
}

TEST_CASE("sync profiles scale: the CLI updates in place, rewriting only visitors with new events") {
  Fixture f;
  f.dir.write("snap.tsnap", std::string(f.bytes.begin(), f.bytes.end()));
  const std::string snap = (f.dir / "snap.tsnap").string();
  const std::string out = (f.dir / "profiles").string();
  f.dir.write("e1.ndjson", stream(400, 50, T0 - 10 * kDay, 600, 4));
  std::string e2;
  for (int u : {1, 2, 3})
    e2 += "{\"user\":\"" + raw_user(u) + "\",\"type\":\"view\",\"item\":\"b2\",\"ts\":" + std::to_string(T0) + "}\n";
  f.dir.write("e2.ndjson", e2);
  Argv first{"profiles", "--snapshot", snap, "--events", (f.dir / "e1.ndjson").string(), "--out", out};
  REQUIRE(cmd_profiles(first.argc(), first.argv()) == kExitOk);
  size_t before = 0;
  for (auto& e : std::filesystem::directory_iterator(out)) before += e.path().extension() == ".tprof";
  CHECK(before > 40);
  // Remove one untouched visitor's file: an in-place update must not rewrite it.
  const std::string untouched = user_hash("acme", raw_user(7)) + ".tprof";
  REQUIRE(std::filesystem::remove(f.dir / "profiles" / untouched));
  Argv second{"profiles", "--snapshot", snap, "--events", (f.dir / "e2.ndjson").string(), "--out", out,
              "--previous", out};
  REQUIRE(cmd_profiles(second.argc(), second.argv()) == kExitOk);
  CHECK_FALSE(std::filesystem::exists(f.dir / "profiles" / untouched));
  const std::string touched = user_hash("acme", raw_user(2)) + ".tprof";
  std::string bytes = f.dir.read("profiles/" + touched);
  auto p = Profile::open({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  REQUIRE(p.ok());
  CHECK(p->root().updated_at() == T0);
  CHECK(strings(p->root().recent_viewed()).front() == "b2");

  Argv shard_bad{"profiles", "--snapshot", snap, "--events", "e", "--out", out, "--shard", "3/3"};
  CHECK(cmd_profiles(shard_bad.argc(), shard_bad.argv()) == kExitUsage);
  Argv shard_bad2{"profiles", "--snapshot", snap, "--events", "e", "--out", out, "--shard", "1"};
  CHECK(cmd_profiles(shard_bad2.argc(), shard_bad2.argv()) == kExitUsage);
  Argv no_prev{"profiles", "--snapshot", snap, "--events", (f.dir / "e2.ndjson").string(), "--out", out,
               "--previous", (f.dir / "nowhere").string()};
  CHECK(cmd_profiles(no_prev.argc(), no_prev.argv()) == kExitInput);
  Argv shard_ok{"profiles", "--snapshot", snap, "--events", (f.dir / "e2.ndjson").string(), "--out",
                (f.dir / "s").string(), "--shard", "1/2", "--json"};
  CHECK(cmd_profiles(shard_ok.argc(), shard_ok.argv()) == kExitOk);
  CHECK(std::filesystem::exists(f.dir / "s" / "tailor-state" / "shard-1-of-2" / "manifest.json"));
}
