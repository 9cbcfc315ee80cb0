// tailor publish / rollback to a directory target: manifest, chunks, kept versions and garbage
// collection, rollback checks, and the signing policy (tampered, unsigned, under-signed refused).
// The KV targets (Cloudflare API, local edge) are tested against servers in tests/publish.
#include <doctest/doctest.h>

#include <filesystem>

#include "commands.h"
#include "file_io.h"
#include "json_parse.h"
#include "publish.h"
#include "publish_lock.h"
#include "tailor/sha256.h"
#include "tailor/snapshot.h"
#include "test_sync_helpers.h"

using namespace tailor::sync;
using namespace tailor::sync::test;
namespace fs = std::filesystem;

namespace {

// Snapshots v1, v2, v3 of the fixture tenant, keys a and b, and an empty publishing directory.
struct PublishFixture {
  TempDir dir;
  std::string tenant;
  PublishFixture() {
    write_fixture(dir);
    dir.write("tailor.json", fixture_config().dump());
    for (const char* v : {"v1", "v2", "v3"})
      REQUIRE(run_cmd(cmd_build, {"build", "--config", (dir / "tailor.json").string(), "--out", snap(v), "--version", v}) ==
              kExitOk);
    for (const char* k : {"a", "b"}) REQUIRE(run_cmd(cmd_keygen, {"keygen", "--out", (dir / "keys" / k).string()}) == kExitOk);
    tenant = fixture_config()["tenant"]["id"].get<std::string>();
  }
  std::string snap(const std::string& v) const { return (dir / (v + ".tsnap")).string(); }
  std::string out() const { return "dir:" + (dir / "cdn").string(); }
  fs::path tenant_dir() const { return dir / "cdn" / tenant; }
  std::string pub(const char* k) const { return (dir / "keys" / (std::string(k) + ".pub")).string(); }
  int sign(const char* k, const std::string& v) const {
    return run_cmd(cmd_sign, {"sign", snap(v), "--key", (dir / "keys" / (std::string(k) + ".key")).string()});
  }
  int publish(const std::string& v, std::vector<std::string> extra = {}) const {
    std::vector<std::string> a{"publish", snap(v), "--to", out()};
    a.insert(a.end(), extra.begin(), extra.end());
    return run_cmd(cmd_publish, a);
  }
  int rollback(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a{"rollback", "--to", out(), "--tenant", tenant};
    a.insert(a.end(), extra.begin(), extra.end());
    return run_cmd(cmd_rollback, a);
  }
  Manifest manifest() const {
    Manifest m;
    std::string why;
    REQUIRE_MESSAGE(parse_manifest(dir.read("cdn/" + tenant + "/manifest.json"), m, why), why);
    return m;
  }
  std::vector<std::string> kept() const {
    std::vector<std::string> v;
    for (const VersionEntry& e : manifest().previous) v.push_back(e.version);
    return v;
  }
  std::string file(const std::string& v) const { return dir.read(v + ".tsnap"); }
};

}  // namespace

TEST_CASE("sync publish: dir target writes chunks and a manifest the edge layout reads") {
  PublishFixture f;
  REQUIRE(f.publish("v1", {"--chunk-bytes", "1000"}) == kExitOk);
  Manifest m = f.manifest();
  const std::string bytes = f.file("v1");
  CHECK(m.tenant == f.tenant);
  CHECK(m.live.version == "v1");
  CHECK(m.live.bytes == bytes.size());
  CHECK(m.live.chunks == (bytes.size() + 999) / 1000);
  CHECK(m.live.chunks > 1);
  CHECK(m.live.sha256 == tailor::sha256_hex(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())));
  CHECK(m.live.signature.is_null());
  CHECK(m.previous.empty());
  CHECK_FALSE(m.live.published_at.empty());
  // The chunks concatenated are the snapshot.
  std::string joined;
  for (uint32_t i = 0; i < m.live.chunks; ++i)
    joined += f.dir.read("cdn/" + f.tenant + "/versions/v1/snapshot." + std::to_string(i));
  CHECK(joined == bytes);
  // Publishing the same bytes again is a no-op, other bytes under a live name are refused.
  CHECK(f.publish("v1", {"--chunk-bytes", "1000"}) == kExitOk);
  CHECK(f.publish("v2", {"--version", "v1"}) == kExitInput);
  CHECK(f.manifest().live.sha256 == m.live.sha256);
}

TEST_CASE("sync publish: keeps N previous versions and removes older ones only after the switch") {
  PublishFixture f;
  REQUIRE(f.publish("v1") == kExitOk);
  REQUIRE(f.publish("v2", {"--keep", "1"}) == kExitOk);
  CHECK(f.kept() == std::vector<std::string>{"v1"});
  CHECK(fs::exists(f.tenant_dir() / "versions/v1/snapshot.0"));
  REQUIRE(f.publish("v3", {"--keep", "1"}) == kExitOk);
  CHECK(f.manifest().live.version == "v3");
  CHECK(f.kept() == std::vector<std::string>{"v2"});
  CHECK_FALSE(fs::exists(f.tenant_dir() / "versions/v1"));
  CHECK(fs::exists(f.tenant_dir() / "versions/v2/snapshot.0"));
  // Leftovers of a failed publish (chunks no manifest names) are collected too.
  f.dir.write("cdn/" + f.tenant + "/versions/orphan/snapshot.0", "x");
  REQUIRE(f.publish("v1", {"--keep", "2"}) == kExitOk);
  CHECK_FALSE(fs::exists(f.tenant_dir() / "versions/orphan"));
  CHECK(f.kept() == std::vector<std::string>{"v3", "v2"});
}

TEST_CASE("sync rollback: to the previous or a named kept version, and back") {
  PublishFixture f;
  CHECK(f.rollback() == kExitInput);  // nothing published
  REQUIRE(f.publish("v1") == kExitOk);
  CHECK(f.rollback() == kExitInput);  // nothing kept
  REQUIRE(f.publish("v2") == kExitOk);
  REQUIRE(f.publish("v3") == kExitOk);
  REQUIRE(f.rollback() == kExitOk);
  CHECK(f.manifest().live.version == "v2");
  CHECK(f.kept() == std::vector<std::string>{"v3", "v1"});
  REQUIRE(f.rollback({"--version", "v1"}) == kExitOk);
  CHECK(f.manifest().live.version == "v1");
  CHECK(f.kept() == std::vector<std::string>{"v2", "v3"});
  CHECK(f.rollback({"--version", "nope"}) == kExitInput);
  CHECK(f.rollback({"--version", "v1"}) == kExitOk);  // already live
  REQUIRE(f.rollback() == kExitOk);                   // undoes the last rollback
  CHECK(f.manifest().live.version == "v2");
  CHECK(f.rollback({"--list", "--json"}) == kExitOk);
}

TEST_CASE("sync rollback: refuses a version whose chunks are missing or do not match") {
  PublishFixture f;
  REQUIRE(f.publish("v1", {"--chunk-bytes", "1000"}) == kExitOk);
  REQUIRE(f.publish("v2") == kExitOk);
  const std::string chunk1 = "cdn/" + f.tenant + "/versions/v1/snapshot.1";
  const std::string good = f.dir.read(chunk1);
  std::string bad = good;
  bad[bad.size() / 2] ^= 1;
  f.dir.write(chunk1, bad);
  CHECK(f.rollback() == kExitSnapshot);
  CHECK(f.manifest().live.version == "v2");
  fs::remove(f.dir / chunk1);
  CHECK(f.rollback() == kExitSnapshot);
  CHECK(f.manifest().live.version == "v2");
  f.dir.write(chunk1, good);
  CHECK(f.rollback() == kExitOk);
  CHECK(f.manifest().live.version == "v1");
}

TEST_CASE("sync publish: tampered, unsigned and under-signed snapshots are refused") {
  PublishFixture f;
  const std::string pubs = f.pub("a") + "," + f.pub("b");
  REQUIRE(f.sign("a", "v1") == kExitOk);
  // Under-signed: one of two.
  CHECK(f.publish("v1", {"--pub", pubs, "--required", "2"}) == kExitInput);
  CHECK_FALSE(fs::exists(f.tenant_dir() / "manifest.json"));
  CHECK_FALSE(fs::exists(f.tenant_dir() / "versions"));
  REQUIRE(f.sign("b", "v1") == kExitOk);
  REQUIRE(f.publish("v1", {"--pub", pubs, "--required", "2"}) == kExitOk);
  Manifest m = f.manifest();
  CHECK(m.required_signatures == 2);
  CHECK(m.live.approvers.size() == 2);
  CHECK(m.live.signature["signatures"].size() == 2);
  // Tampered after signing: refused even without keys (the envelope's digest is checked).
  std::string bytes = f.file("v2");
  REQUIRE(f.sign("a", "v2") == kExitOk);
  REQUIRE(f.sign("b", "v2") == kExitOk);
  // A title changed in place: still a valid snapshot, no longer the signed bytes.
  const size_t at = bytes.find("Bravo");
  REQUIRE(at != std::string::npos);
  bytes[at + 4] = 'a';
  f.dir.write("tampered.tsnap", bytes);
  CHECK(tailor::Snapshot::open(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())).ok());
  CHECK(run_cmd(cmd_publish, {"publish", (f.dir / "tampered.tsnap").string(), "--sig", f.snap("v2") + ".sig.json", "--to",
                          f.out(), "--pub", pubs, "--required", "2"}) == kExitInput);
  CHECK(run_cmd(cmd_publish, {"publish", (f.dir / "tampered.tsnap").string(), "--sig", f.snap("v2") + ".sig.json", "--to",
                          f.out(), "--allow-fewer-signatures"}) == kExitInput);
  // The tenant now requires two approvers: unsigned v3 is refused, with or without keys.
  CHECK(f.publish("v3") == kExitInput);
  CHECK(f.publish("v3", {"--pub", pubs}) == kExitInput);
  CHECK(f.manifest().live.version == "v1");
  // v2 with both signatures goes live; a rollback needs the keys too.
  REQUIRE(f.publish("v2", {"--pub", pubs, "--required", "2"}) == kExitOk);
  CHECK(f.rollback() == kExitInput);
  CHECK(f.rollback({"--pub", pubs, "--required", "2"}) == kExitOk);
  CHECK(f.manifest().live.version == "v1");
  // Lowering the requirement is explicit.
  CHECK(f.publish("v3", {"--allow-fewer-signatures"}) == kExitOk);
  CHECK(f.manifest().required_signatures == 0);
}

TEST_CASE("sync publish: usage errors exit 2, an invalid snapshot 3") {
  PublishFixture f;
  CHECK(run_cmd(cmd_publish, {"publish", f.snap("v1")}) == kExitUsage);                        // no --to
  CHECK(run_cmd(cmd_publish, {"publish", f.snap("v1"), "--to", "ftp:x"}) == kExitUsage);       // unknown target
  CHECK(f.publish("v1", {"--keep", "101"}) == kExitUsage);
  CHECK(f.publish("v1", {"--chunk-bytes", "0"}) == kExitUsage);
  CHECK(f.publish("v1", {"--version", "../etc"}) == kExitUsage);
  CHECK(f.publish("v1", {"--required", "1"}) == kExitUsage);  // --required without --pub
  CHECK(run_cmd(cmd_rollback, {"rollback", "--to", f.out()}) == kExitUsage);  // no --tenant
  f.dir.write("junk.tsnap", "not a snapshot");
  CHECK(run_cmd(cmd_publish, {"publish", (f.dir / "junk.tsnap").string(), "--to", f.out()}) == kExitSnapshot);
  CHECK(run_cmd(cmd_publish, {"publish", (f.dir / "missing.tsnap").string(), "--to", f.out()}) == kExitIo);
  CHECK_FALSE(fs::exists(f.dir / "cdn"));
}

TEST_CASE("sync publish: manifest parsing validates fields and reads the Worker's older manifests") {
  Manifest m;
  std::string why;
  const std::string sha(64, 'a');
  CHECK(parse_manifest(R"({"version":"v1","sha256":")" + sha + R"(","bytes":10,"chunks":1,"signature":null,"published_at":"x"})", m, why));
  CHECK(m.live.version == "v1");
  CHECK(m.previous.empty());
  CHECK_FALSE(parse_manifest(R"({"version":"a/b","sha256":")" + sha + R"(","bytes":10,"chunks":1})", m, why));
  CHECK(why.find("version") != std::string::npos);
  CHECK_FALSE(parse_manifest(R"({"version":"v1","sha256":"xyz","bytes":10,"chunks":1})", m, why));
  CHECK_FALSE(parse_manifest(R"({"version":"v1","sha256":")" + sha + R"(","bytes":10,"chunks":0})", m, why));
  CHECK_FALSE(parse_manifest("[1]", m, why));
  Manifest a;
  a.tenant = "t";
  a.live = {"v2", sha, "2026-01-01T00:00:00Z", 10, 10, 1, nullptr, {"k1"}};
  a.required_signatures = 1;
  a.previous.push_back({"v1", sha, "", 9, 9, 1, nullptr, {}});
  Manifest b;
  REQUIRE_MESSAGE(parse_manifest(serialize_manifest(a), b, why), why);
  CHECK(serialize_manifest(b) == serialize_manifest(a));
}

TEST_CASE("sync publish: --config takes the signing policy from tailor.json, --pub and --required override it") {
  PublishFixture f;
  REQUIRE(run_cmd(cmd_keygen, {"keygen", "--out", (f.dir / "keys" / "c").string()}) == kExitOk);
  std::string b_hex = f.dir.read("keys/b.pub");
  while (!b_hex.empty() && (b_hex.back() == '\n' || b_hex.back() == ' ')) b_hex.pop_back();
  nlohmann::json cfg = fixture_config();
  cfg["signing"] = {{"required", 2},
                    {"approvers", {{{"name", "alice"}, {"key_file", "keys/a.pub"}}, {{"name", "bob"}, {"key", b_hex}}}}};
  const std::string config = f.dir.write("tailor.json", cfg.dump()).string();

  // K = 2 of alice and bob, from the config alone.
  REQUIRE(f.sign("a", "v1") == kExitOk);
  CHECK(f.publish("v1", {"--config", config}) == kExitInput);  // under-signed: 1 of 2
  CHECK_FALSE(fs::exists(f.tenant_dir() / "manifest.json"));
  REQUIRE(run_cmd(cmd_sign, {"sign", f.snap("v1"), "--key", (f.dir / "keys" / "c.key").string()}) == kExitOk);
  CHECK(f.publish("v1", {"--config", config}) == kExitInput);  // c is no approver of the config
  REQUIRE(f.sign("b", "v1") == kExitOk);
  REQUIRE(f.publish("v1", {"--config", config}) == kExitOk);
  CHECK(f.manifest().required_signatures == 2);
  CHECK(f.manifest().live.approvers.size() == 2);

  // --required overrides K (lowering it below the live manifest's still needs saying so).
  REQUIRE(f.sign("a", "v2") == kExitOk);
  CHECK(f.publish("v2", {"--config", config, "--required", "1"}) == kExitInput);
  CHECK(f.manifest().live.version == "v1");
  CHECK(f.publish("v2", {"--config", config, "--required", "1", "--allow-fewer-signatures"}) == kExitOk);
  CHECK(f.manifest().required_signatures == 1);
  // --pub overrides the keys: c alone is trusted, K stays the config's 2 unless --required says.
  REQUIRE(run_cmd(cmd_sign, {"sign", f.snap("v3"), "--key", (f.dir / "keys" / "c.key").string()}) == kExitOk);
  const std::string c_pub = (f.dir / "keys" / "c.pub").string();
  CHECK(f.publish("v3", {"--config", config, "--pub", c_pub}) == kExitUsage);  // 2 required of 1 key
  CHECK(f.publish("v3", {"--config", config}) == kExitInput);                  // c is not alice or bob
  CHECK(f.publish("v3", {"--config", config, "--pub", c_pub, "--required", "1"}) == kExitOk);
  CHECK(f.manifest().live.version == "v3");

  // Rollback: the tenant comes from the config's tenant.id, the policy from its signing.
  CHECK(run_cmd(cmd_rollback, {"rollback", "--to", f.out(), "--config", config, "--version", "v1"}) == kExitOk);
  CHECK(f.manifest().live.version == "v1");
  CHECK(f.manifest().required_signatures == 2);
  CHECK(run_cmd(cmd_rollback, {"rollback", "--to", f.out(), "--config", config, "--tenant", "other"}) == kExitUsage);

  // Broken policies: each a clear refusal before anything is written.
  const fs::path before = f.tenant_dir() / "manifest.json";
  const std::string live = f.dir.read("cdn/" + f.tenant + "/manifest.json");
  CHECK(f.publish("v2", {"--config", config, "--required", "3"}) == kExitUsage);  // K above the approvers
  nlohmann::json no_signing = fixture_config();
  CHECK(f.publish("v2", {"--config", f.dir.write("plain.json", no_signing.dump()).string()}) == kExitInput);
  nlohmann::json missing_key = cfg;
  missing_key["signing"]["approvers"][0]["key_file"] = "keys/nobody.pub";
  CHECK(f.publish("v2", {"--config", f.dir.write("missing.json", missing_key.dump()).string()}) == kExitInput);
  nlohmann::json both = cfg;
  both["signing"]["approvers"][1]["key_file"] = "keys/b.pub";  // key and key_file: which one?
  CHECK(f.publish("v2", {"--config", f.dir.write("both.json", both.dump()).string()}) == kExitInput);
  nlohmann::json same_key = cfg;
  same_key["signing"]["approvers"][1] = {{"name", "bob"}, {"key_file", "keys/a.pub"}};
  CHECK(f.publish("v2", {"--config", f.dir.write("same.json", same_key.dump()).string()}) == kExitInput);
  nlohmann::json other = cfg;
  other["tenant"]["id"] = "someone-else";
  CHECK(f.publish("v2", {"--config", f.dir.write("other.json", other.dump()).string()}) == kExitInput);
  CHECK(f.publish("v2", {"--config", (f.dir / "none.json").string()}) == kExitIo);
  CHECK(f.dir.read("cdn/" + f.tenant + "/manifest.json") == live);
}

TEST_CASE("sync publish: the publish lock, one publisher per tenant (dir target)") {
  PublishFixture f;
  REQUIRE(f.publish("v1") == kExitOk);
  CHECK_FALSE(fs::exists(f.tenant_dir() / ".publish.lock"));  // released
  auto store = make_dir_store((f.dir / "cdn").string());

  // Held by this (live) process: a publish and a rollback exit 5 and change nothing.
  PublishLock held;
  std::string warning;
  REQUIRE(acquire_publish_lock(*store, f.tenant, {}, held, warning).ok());
  CHECK(warning.empty());
  CHECK(fs::exists(f.tenant_dir() / ".publish.lock"));
  PublishLock other;
  OpResult r = acquire_publish_lock(*store, f.tenant, {}, other, warning);
  CHECK(r.exit == kExitLocked);
  CHECK(r.message.find("is being published") != std::string::npos);
  CHECK(f.publish("v2") == kExitLocked);
  CHECK(f.rollback() == kExitLocked);
  CHECK(f.manifest().live.version == "v1");
  CHECK_FALSE(fs::exists(f.tenant_dir() / "versions" / "v2"));
  CHECK(check_publish_lock(*store, held).ok());

  // A publisher whose lock was taken from it switches nothing.
  CHECK(f.publish("v2", {"--force-unlock"}) == kExitOk);  // removes `held`, publishes, releases
  CHECK(check_publish_lock(*store, held).exit == kExitLocked);
  PublishOptions opts;
  opts.version = "v3";
  opts.before_switch = [&]() { return check_publish_lock(*store, held); };
  const std::string v3 = f.file("v3");
  PublishReport report;
  r = publish_snapshot(*store, f.tenant, std::span(reinterpret_cast<const uint8_t*>(v3.data()), v3.size()), nullptr,
                       SigningPolicy{}, opts, nullptr, report);
  CHECK(r.exit == kExitLocked);
  CHECK(r.message.find("lost the publish lock") != std::string::npos);
  CHECK(r.message.find("nothing was switched: v2 is still live") != std::string::npos);
  CHECK(f.manifest().live.version == "v2");
  release_publish_lock(*store, held);  // not ours any more: nothing removed, no crash
}
