// The command line: flags, --help, and exit codes that mean something.
#include <doctest/doctest.h>

#include "args.h"
#include "commands.h"
#include "test_sync_helpers.h"

using namespace tailor::sync;
using namespace tailor::sync::test;

TEST_CASE("sync cli: flags with separate or inline values, switches, positionals") {
  Argv argv{"build", "--config", "a.json", "--out=b.tsnap", "--json", "extra"};
  Args args;
  std::string err;
  REQUIRE(parse_args(argv.argc(), argv.argv(), {{"--config", true}, {"--out", true}, {"--json", false}}, args, err));
  CHECK(args.get("--config") == "a.json");
  CHECK(args.get("--out") == "b.tsnap");
  CHECK(args.has("--json"));
  CHECK_FALSE(args.has("--version"));
  CHECK(args.positional == std::vector<std::string>{"extra"});
}

TEST_CASE("sync cli: unknown, repeated and valueless flags are usage errors") {
  const std::vector<Flag> flags{{"--config", true}, {"--json", false}};
  Args args;
  std::string err;
  Argv unknown{"build", "--confg", "x"};
  CHECK_FALSE(parse_args(unknown.argc(), unknown.argv(), flags, args, err));
  CHECK(err == "unknown option '--confg'");
  Argv twice{"build", "--config", "a", "--config", "b"};
  CHECK_FALSE(parse_args(twice.argc(), twice.argv(), flags, args, err));
  CHECK(err == "option '--config' given twice");
  Argv missing{"build", "--config"};
  CHECK_FALSE(parse_args(missing.argc(), missing.argv(), flags, args, err));
  CHECK(err == "option '--config' needs a value");
  Argv inline_switch{"build", "--json=yes"};
  CHECK_FALSE(parse_args(inline_switch.argc(), inline_switch.argv(), flags, args, err));
}

TEST_CASE("sync cli: --help exits 0 for every command, bad usage exits 2") {
  for (auto* cmd : {cmd_build, cmd_profiles, cmd_inspect}) {
    Argv help{"x", "--help"};
    CHECK(cmd(help.argc(), help.argv()) == kExitOk);
    Argv bad{"x", "--no-such-flag"};
    CHECK(cmd(bad.argc(), bad.argv()) == kExitUsage);
  }
  Argv no_out{"build", "--config", "tailor.json"};
  CHECK(cmd_build(no_out.argc(), no_out.argv()) == kExitUsage);
  Argv bad_time{"build", "--config", "c", "--out", "o", "--built-at", "noon"};
  CHECK(cmd_build(bad_time.argc(), bad_time.argv()) == kExitUsage);
}

TEST_CASE("sync cli: build writes the snapshot, or nothing with exit 1 (input) / 4 (io)") {
  TempDir dir;
  write_fixture(dir);
  dir.write("tailor.json", fixture_config().dump());
  const std::string out = (dir / "out" / "snap.tsnap").string();
  Argv ok{"build", "--config", (dir / "tailor.json").string(), "--out", out, "--json"};
  CHECK(cmd_build(ok.argc(), ok.argv()) == kExitOk);
  CHECK(std::filesystem::exists(out));
  CHECK(std::distance(std::filesystem::directory_iterator(dir / "out"), {}) == 1);  // no temp file left

  auto cfg = fixture_config();
  cfg["slots"][0]["strategy"] = "nope";
  dir.write("bad.json", cfg.dump());
  const std::string out2 = (dir / "bad.tsnap").string();
  Argv bad{"build", "--config", (dir / "bad.json").string(), "--out", out2};
  CHECK(cmd_build(bad.argc(), bad.argv()) == kExitInput);
  CHECK_FALSE(std::filesystem::exists(out2));

  Argv missing{"build", "--config", (dir / "missing.json").string(), "--out", out2};
  CHECK(cmd_build(missing.argc(), missing.argv()) == kExitIo);
  CHECK_FALSE(std::filesystem::exists(out2));
}
