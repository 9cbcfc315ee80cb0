// `tailor keys`: the approvers' keys and K printed as the edge adapters' settings take them.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>

#include "commands.h"
#include "json_parse.h"
#include "signing.h"
#include "test_sync_helpers.h"

using namespace tailor::sync;
using namespace tailor::sync::test;

namespace {

// Runs `tailor keys ARGS` with stdout captured; returns what it printed, `rc` the exit code.
std::string keys(std::vector<std::string> args, int& rc) {
  args.insert(args.begin(), "keys");
  std::fflush(stdout);
  FILE* tmp = std::tmpfile();
  REQUIRE(tmp);
  const int saved = dup(fileno(stdout));
  dup2(fileno(tmp), fileno(stdout));
  rc = run_cmd(cmd_keys, args);
  std::fflush(stdout);
  dup2(saved, fileno(stdout));
  close(saved);
  std::rewind(tmp);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, tmp)) > 0;) out.append(buf, n);
  std::fclose(tmp);
  return out;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

TEST_CASE("sync keys: prints tailor.json signing as every adapter's settings, hex recommended") {
  TempDir dir;
  for (const char* k : {"alice", "bob"}) REQUIRE(run_cmd(cmd_keygen, {"keygen", "--out", (dir / k).string()}) == kExitOk);
  const std::string a = trimmed(dir.read("alice.pub")), b = trimmed(dir.read("bob.pub"));
  nlohmann::json cfg = {{"tenant", {{"id", "northwind"}}},
                        {"signing", {{"required", 2},
                                     {"approvers", {{{"name", "alice"}, {"key_file", "alice.pub"}},
                                                    {{"name", "bob"}, {"key", b}}}}}}};
  const std::string config = dir.write("tailor.json", cfg.dump()).string();
  PublicKey pa, pb;
  std::string why;
  REQUIRE(parse_public_key(a, pa, why));
  REQUIRE(parse_public_key(b, pb, why));
  int rc = -1;
  CHECK(keys({"--config", config}, rc) == "TAILOR_PUBLIC_KEYS=" + a + "," + b + "\nTAILOR_REQUIRED_SIGNATURES=2\n");
  CHECK(rc == kExitOk);
  CHECK(keys({"--config", config, "--format", "base64"}, rc) ==
        "TAILOR_PUBLIC_KEYS=" + to_base64(pa) + "," + to_base64(pb) + "\nTAILOR_REQUIRED_SIGNATURES=2\n");
  CHECK(keys({"--config", config, "--format", "fastly"}, rc) ==
        "public_keys=" + a + "," + b + "\nrequired_signatures=2\n");
  CHECK(keys({"--config", config, "--format", "cloudflare"}, rc) ==
        "{\"northwind\":{\"public_keys\":[\"" + a + "\",\"" + b + "\"],\"required_signatures\":2}}\n");
  nlohmann::json j;
  REQUIRE(parse_json(keys({"--config", config, "--json"}, rc), j, why));
  CHECK(j["tenant"] == "northwind");
  CHECK(j["required_signatures"] == 2);
  CHECK(j["approvers"][0]["name"] == "alice");
  CHECK(j["approvers"][0]["key_id"] == key_id(pa));
  CHECK(j["approvers"][1]["base64"] == to_base64(pb));
  CHECK(j["public_keys"] == a + "," + b);

  // --pub files instead of a config (a key given twice counts once).
  const std::string pubs = (dir / "alice.pub").string() + "," + (dir / "bob.pub").string() + "," +
                           (dir / "alice.pub").string();
  CHECK(keys({"--pub", pubs, "--required", "2"}, rc) ==
        "TAILOR_PUBLIC_KEYS=" + a + "," + b + "\nTAILOR_REQUIRED_SIGNATURES=2\n");
  CHECK(keys({"--pub", pubs, "--format", "cloudflare", "--tenant", "t1"}, rc) ==
        "{\"t1\":{\"public_keys\":[\"" + a + "\",\"" + b + "\"],\"required_signatures\":1}}\n");

  // Errors: nothing printed on stdout.
  CHECK(keys({"--pub", pubs, "--required", "3"}, rc).empty());
  CHECK(rc == kExitUsage);
  CHECK(keys({"--pub", pubs, "--format", "cloudflare"}, rc).empty());  // which tenant?
  CHECK(rc == kExitUsage);
  CHECK(keys({"--config", config, "--pub", pubs}, rc).empty());
  CHECK(rc == kExitUsage);
  CHECK(keys({"--config", config, "--format", "yaml"}, rc).empty());
  CHECK(rc == kExitUsage);
  CHECK(keys({"--config", config, "--tenant", "globex", "--format", "cloudflare"}, rc).empty());
  CHECK(rc == kExitUsage);
  CHECK(keys({}, rc).empty());
  CHECK(rc == kExitUsage);
  CHECK(keys({"--config", dir.write("plain.json", "{\"tenant\": {\"id\": \"x\"}}").string()}, rc).empty());
  CHECK(rc == kExitInput);  // no signing section
  dir.write("bad.pub", "not a key\n");
  CHECK(keys({"--pub", (dir / "bad.pub").string()}, rc).empty());
  CHECK(rc == kExitInput);
  CHECK(keys({"--pub", (dir / "none.pub").string()}, rc).empty());
  CHECK(rc == kExitIo);
  CHECK(keys({"--help"}, rc).find("usage: tailor keys") != std::string::npos);
  CHECK(rc == kExitOk);
}
