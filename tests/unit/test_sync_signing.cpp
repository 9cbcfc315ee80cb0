// Snapshot signing: keygen, sign (K approvers append to one envelope), verify (two-person rule).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

#include "commands.h"
#include "file_io.h"
#include "json_parse.h"
#include "signing.h"
#include "signing_config.h"
#include "tailor/sha256.h"
#include "test_sync_helpers.h"

using namespace tailor::sync;
using namespace tailor::sync::test;

namespace {

// A temp dir with a valid snapshot (snap.tsnap) and key pairs a, b, c.
struct SignFixture {
  TempDir dir;
  std::string snap, sig;
  SignFixture() {
    write_fixture(dir);
    dir.write("tailor.json", fixture_config().dump());
    snap = (dir / "snap.tsnap").string();
    sig = snap + ".sig.json";
    Argv build{"build", "--config", (dir / "tailor.json").string(), "--out", snap};
    REQUIRE(cmd_build(build.argc(), build.argv()) == kExitOk);
    for (const char* name : {"a", "b", "c"}) {
      Argv keygen{"keygen", "--out", (dir / "keys" / name).string()};
      REQUIRE(cmd_keygen(keygen.argc(), keygen.argv()) == kExitOk);
    }
  }
  std::string key(const char* name) const { return (dir / "keys" / (std::string(name) + ".key")).string(); }
  std::string pub(const char* name) const { return (dir / "keys" / (std::string(name) + ".pub")).string(); }
  int sign(const char* name, const std::string& snapshot, std::vector<std::string> extra = {}) const {
    std::vector<std::string> v{"sign", snapshot, "--key", key(name), "--out", sig};
    v.insert(v.end(), extra.begin(), extra.end());
    return run(cmd_sign, v);
  }
  int verify(const std::string& pubs, int required, const std::string& snapshot) const {
    return run(cmd_verify, {"verify", snapshot, "--pub", pubs, "--required", std::to_string(required), "--sig", sig});
  }
  Envelope envelope() const {
    Envelope env;
    std::string why;
    REQUIRE(parse_envelope(dir.read("snap.tsnap.sig.json"), env, why));
    return env;
  }
  static int run(int (*cmd)(int, char**), std::vector<std::string> v) { return run_cmd(cmd, std::move(v)); }
};

std::string read_all(const std::string& path) {
  std::vector<uint8_t> b;
  REQUIRE(read_file(path, 1 << 26, b).ok());
  return std::string(b.begin(), b.end());
}

}  // namespace

TEST_CASE("sync signing: keygen writes a 0600 secret key and a public key, never overwrites") {
  SignFixture f;
  struct stat st {};
  REQUIRE(::stat(f.key("a").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  SecretKey sk{};
  PublicKey pk{};
  std::string why;
  REQUIRE(parse_secret_key(read_all(f.key("a")), sk, why));
  REQUIRE(parse_public_key(read_all(f.pub("a")), pk, why));
  CHECK(public_half(sk) == pk);
  CHECK(key_id(pk) == tailor::sha256_hex(std::span<const uint8_t>(pk)).substr(0, 16));
  const std::string before = read_all(f.key("a"));
  Argv again{"keygen", "--out", (f.dir / "keys" / "a").string()};
  CHECK(cmd_keygen(again.argc(), again.argv()) == kExitInput);
  CHECK(read_all(f.key("a")) == before);
  Argv help{"keygen", "--help"}, no_out{"keygen"};
  CHECK(cmd_keygen(help.argc(), help.argv()) == kExitOk);
  CHECK(cmd_keygen(no_out.argc(), no_out.argv()) == kExitUsage);
}

TEST_CASE("sync signing: sign then verify roundtrip, the envelope in the edge format") {
  SignFixture f;
  REQUIRE(f.sign("a", f.snap) == kExitOk);
  CHECK(f.verify(f.pub("a"), 1, f.snap) == kExitOk);
  Envelope env = f.envelope();
  CHECK(env.sha256 == tailor::sha256_hex(std::span<const uint8_t>(
                          reinterpret_cast<const uint8_t*>(read_all(f.snap).data()), read_all(f.snap).size())));
  REQUIRE(env.signatures.size() == 1);
  PublicKey pk{};
  std::string why;
  REQUIRE(parse_public_key(read_all(f.pub("a")), pk, why));
  CHECK(env.signatures[0].key_id == key_id(pk));
  CHECK(env.signatures[0].alg == "ed25519");
  std::vector<uint8_t> raw;
  CHECK(from_base64(env.signatures[0].sig, raw));
  CHECK(raw.size() == 64);
  // Key order and shape, byte for byte.
  CHECK(f.dir.read("snap.tsnap.sig.json").rfind("{\"schema\":1,\"sha256\":\"" + env.sha256 + "\",\"signatures\":[{\"key_id\":\"", 0) == 0);
  // Default envelope path is SNAPSHOT.sig.json.
  std::filesystem::remove(f.sig);
  CHECK(SignFixture::run(cmd_sign, {"sign", f.snap, "--key", f.key("b")}) == kExitOk);
  CHECK(SignFixture::run(cmd_verify, {"verify", f.snap, "--pub", f.pub("b")}) == kExitOk);
}

TEST_CASE("sync signing: a tampered snapshot fails with a digest mismatch") {
  SignFixture f;
  REQUIRE(f.sign("a", f.snap) == kExitOk);
  REQUIRE(f.sign("b", f.snap) == kExitOk);
  std::string bytes = read_all(f.snap);
  bytes[bytes.size() / 2] ^= 1;
  const std::string tampered = f.dir.write("tampered.tsnap", bytes).string();
  CHECK(f.verify(f.pub("a") + "," + f.pub("b"), 1, tampered) == kExitInput);
  std::vector<uint8_t> b(bytes.begin(), bytes.end());
  Trusted t{"", {}};
  std::string why;
  REQUIRE(parse_public_key(read_all(f.pub("a")), t.pk, why));
  t.key_id = key_id(t.pk);
  VerifyResult r = verify_envelope(b, f.envelope(), {t}, 1);
  CHECK_FALSE(r.ok);
  CHECK(r.code == VerifyCode::kDigestMismatch);
  CHECK(r.reason.find("digest mismatch") != std::string::npos);
}

TEST_CASE("sync signing: under-signed, unknown signer, unsigned, and K of N") {
  SignFixture f;
  const std::string ab = f.pub("a") + "," + f.pub("b");
  CHECK(f.verify(ab, 1, f.snap) == kExitInput);  // no envelope: unsigned
  REQUIRE(f.sign("a", f.snap) == kExitOk);
  CHECK(f.verify(ab, 2, f.snap) == kExitInput);  // 1 of 2
  CHECK(f.verify(f.pub("c"), 1, f.snap) == kExitInput);  // unknown signer
  CHECK(f.verify(ab, 3, f.snap) == kExitUsage);  // more required than keys
  CHECK(f.verify(f.pub("a") + "," + f.pub("a"), 2, f.snap) == kExitUsage);  // the same key twice is one key

  std::vector<Trusted> keys;
  for (const char* n : {"a", "b"}) {
    Trusted t;
    std::string why;
    REQUIRE(parse_public_key(read_all(f.pub(n)), t.pk, why));
    t.key_id = key_id(t.pk);
    keys.push_back(t);
  }
  std::string s = read_all(f.snap);
  std::vector<uint8_t> bytes(s.begin(), s.end());
  VerifyResult r = verify_envelope(bytes, f.envelope(), keys, 2);
  CHECK(r.code == VerifyCode::kInsufficient);
  CHECK(r.reason == "under-signed: 1 of 2 required approver signatures");

  REQUIRE(f.sign("b", f.snap) == kExitOk);
  CHECK(f.verify(ab, 2, f.snap) == kExitOk);
  r = verify_envelope(bytes, f.envelope(), keys, 2);
  CHECK(r.ok);
  CHECK(r.signers.size() == 2);

  // A forged signature from a trusted key id does not count.
  Envelope env = f.envelope();
  env.signatures[1].sig = env.signatures[0].sig;
  r = verify_envelope(bytes, env, keys, 2);
  CHECK(r.code == VerifyCode::kInsufficient);
  env.signatures.clear();
  CHECK(verify_envelope(bytes, env, keys, 1).code == VerifyCode::kSignatureMissing);
}

TEST_CASE("sync signing: signing twice with the same key replaces, not duplicates") {
  SignFixture f;
  REQUIRE(f.sign("a", f.snap) == kExitOk);
  REQUIRE(f.sign("b", f.snap) == kExitOk);
  REQUIRE(f.sign("a", f.snap) == kExitOk);
  Envelope env = f.envelope();
  REQUIRE(env.signatures.size() == 2);
  CHECK(env.signatures[0].key_id != env.signatures[1].key_id);
  CHECK(f.verify(f.pub("a") + "," + f.pub("b"), 2, f.snap) == kExitOk);
  // A duplicated signature in an envelope still counts once.
  Envelope dup = env;
  dup.signatures.push_back(env.signatures[0]);
  std::vector<Trusted> keys(1);
  std::string why;
  REQUIRE(parse_public_key(read_all(f.pub("a")), keys[0].pk, why));
  keys[0].key_id = key_id(keys[0].pk);
  std::string s = read_all(f.snap);
  CHECK(verify_envelope(std::vector<uint8_t>(s.begin(), s.end()), dup, keys, 1).signers.size() == 1);
}

TEST_CASE("sync signing: an envelope for another snapshot is refused unless --force") {
  SignFixture f;
  REQUIRE(f.sign("a", f.snap) == kExitOk);
  const std::string before = f.dir.read("snap.tsnap.sig.json");
  // Another valid snapshot: same config, other version label.
  const std::string other = (f.dir / "other.tsnap").string();
  Argv build{"build", "--config", (f.dir / "tailor.json").string(), "--out", other, "--version", "v-other"};
  REQUIRE(cmd_build(build.argc(), build.argv()) == kExitOk);
  CHECK(f.sign("b", other) == kExitInput);
  CHECK(f.dir.read("snap.tsnap.sig.json") == before);
  CHECK(f.sign("b", other, {"--force"}) == kExitOk);
  Envelope env;
  std::string why;
  REQUIRE(parse_envelope(f.dir.read("snap.tsnap.sig.json"), env, why));
  CHECK(env.signatures.size() == 1);
  CHECK(f.verify(f.pub("b"), 1, other) == kExitOk);
  CHECK(f.verify(f.pub("a") + "," + f.pub("b"), 1, f.snap) == kExitInput);  // now a digest mismatch
}

TEST_CASE("sync signing: invalid snapshot exits 3, bad key 1, missing files 4, usage 2") {
  SignFixture f;
  const std::string junk = f.dir.write("junk.tsnap", "not a snapshot at all").string();
  CHECK(f.sign("a", junk) == kExitSnapshot);
  CHECK_FALSE(std::filesystem::exists(f.sig));
  const std::string bad_key = f.dir.write("bad.key", "abcd").string();
  CHECK(SignFixture::run(cmd_sign, {"sign", f.snap, "--key", bad_key}) == kExitInput);
  CHECK(SignFixture::run(cmd_sign, {"sign", f.snap, "--key", f.pub("a")}) == kExitInput);  // a public key is not a secret key
  CHECK(SignFixture::run(cmd_sign, {"sign", f.snap, "--key", (f.dir / "none.key").string()}) == kExitIo);
  CHECK(SignFixture::run(cmd_sign, {"sign", f.snap}) == kExitUsage);
  CHECK(SignFixture::run(cmd_verify, {"verify", f.snap, "--pub", (f.dir / "none.pub").string()}) == kExitIo);
  CHECK(SignFixture::run(cmd_verify, {"verify", f.snap, "--pub", f.pub("a"), "--required", "0"}) == kExitUsage);
  for (auto* cmd : {cmd_keygen, cmd_sign, cmd_verify}) {
    Argv help{"x", "--help"};
    CHECK(cmd(help.argc(), help.argv()) == kExitOk);
    Argv bad{"x", "--no-such-flag"};
    CHECK(cmd(bad.argc(), bad.argv()) == kExitUsage);
  }
  // A malformed envelope is refused, and replaced only with --force.
  f.dir.write("snap.tsnap.sig.json", "{\"schema\":2}");
  CHECK(f.sign("a", f.snap) == kExitInput);
  CHECK(f.verify(f.pub("a"), 1, f.snap) == kExitInput);
  CHECK(f.sign("a", f.snap, {"--force"}) == kExitOk);
  CHECK(f.verify(f.pub("a"), 1, f.snap) == kExitOk);
}

TEST_CASE("sync signing: the tenant's signing policy in tailor.json (required K of named approvers)") {
  SignFixture f;
  nlohmann::json cfg = fixture_config();
  std::string b_hex = read_all(f.pub("b"));
  while (!b_hex.empty() && (b_hex.back() == '\n' || b_hex.back() == ' ')) b_hex.pop_back();
  cfg["signing"] = {{"required", 2},
                    {"approvers", {{{"name", "alice"}, {"key_file", "keys/a.pub"}}, {{"name", "bob"}, {"key", b_hex}}}}};
  const std::string config = f.dir.write("tailor.json", cfg.dump()).string();
  Argv build{"build", "--config", config, "--out", f.snap};
  REQUIRE(cmd_build(build.argc(), build.argv()) == kExitOk);  // the policy is valid config
  auto verify = [&](const std::string& snapshot) {
    return SignFixture::run(cmd_verify, {"verify", snapshot, "--config", config, "--sig", f.sig});
  };
  CHECK(verify(f.snap) == kExitInput);  // unsigned
  REQUIRE(f.sign("a", f.snap) == kExitOk);
  CHECK(verify(f.snap) == kExitInput);  // under-signed: 1 of 2
  REQUIRE(f.sign("c", f.snap) == kExitOk);
  CHECK(verify(f.snap) == kExitInput);  // c is no approver
  REQUIRE(f.sign("b", f.snap) == kExitOk);
  CHECK(verify(f.snap) == kExitOk);
  std::string bytes = read_all(f.snap);
  bytes[bytes.size() / 3] ^= 1;
  CHECK(verify(f.dir.write("tampered.tsnap", bytes).string()) == kExitInput);
  CHECK(SignFixture::run(cmd_verify, {"verify", f.snap, "--config", config, "--pub", f.pub("a")}) == kExitUsage);

  SigningConfig policy;
  ErrorList errors;
  REQUIRE(read_signing_config(config, policy, errors));
  CHECK(policy.required == 2);
  REQUIRE(policy.approvers.size() == 2);
  CHECK(approver_name(policy, policy.approvers[1].key.key_id) == "bob");
}

TEST_CASE("sync signing: a bad signing policy fails the build and verify with its place") {
  SignFixture f;
  std::string a_hex = read_all(f.pub("a"));
  while (!a_hex.empty() && (a_hex.back() == '\n' || a_hex.back() == ' ')) a_hex.pop_back();
  auto check = [&](const nlohmann::json& signing, const std::string& message) {
    nlohmann::json cfg = fixture_config();
    cfg["signing"] = signing;
    BuildRun run = build_in(f.dir, cfg);
    CHECK_FALSE(run.ok);
    INFO(joined(run.errors));
    CHECK(has_error(run.errors, message));
    SigningConfig policy;
    ErrorList errors;
    CHECK_FALSE(read_signing_config(f.dir / "tailor.json", policy, errors));
    CHECK(has_error(errors, message));
  };
  check({{"required", 3}, {"approvers", {{{"name", "alice"}, {"key", a_hex}}}}},
        "tailor.json: signing.required: 3 signatures required but only 1 approver listed");
  check({{"required", 2}, {"approvers", {{{"name", "alice"}, {"key", a_hex}}, {{"name", "bob"}, {"key", a_hex}}}}},
        "signing.approvers[1].key: duplicate id");
  check({{"required", 1}, {"approvers", {{{"name", "alice"}, {"key", "abc"}}}}},
        "signing.approvers[0].key: not a public key");
  check({{"required", 1}, {"approvers", {{{"name", "alice"}, {"key_file", "keys/none.pub"}}}}},
        "signing.approvers[0].key_file: ");
  check({{"required", 1}, {"approvers", nlohmann::json::array()}}, "signing.approvers: expected an array of 1 to 64");
  check({{"required", 0}, {"approvers", {{{"name", "alice"}, {"key", a_hex}}}}}, "signing.required");
  nlohmann::json none = fixture_config();
  f.dir.write("tailor.json", none.dump());
  SigningConfig policy;
  ErrorList errors;
  CHECK_FALSE(read_signing_config(f.dir / "tailor.json", policy, errors));
  CHECK(has_error(errors, "signing: not set"));
}
