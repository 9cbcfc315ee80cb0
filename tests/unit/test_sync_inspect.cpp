// tailor inspect: verification before reading, and the JSON summary.
#include <doctest/doctest.h>

#include <cstring>

#include "commands.h"
#include "inspect.h"
#include "tailor/sha256.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;

namespace {

std::vector<uint8_t> fixture_snapshot(const TempDir& dir) {
  write_fixture(dir);
  BuildRun run = build_in(dir, fixture_config());
  REQUIRE(run.ok);
  return run.snap.bytes;
}

}  // namespace

TEST_CASE("sync inspect: the summary describes the snapshot") {
  TempDir dir;
  auto bytes = fixture_snapshot(dir);
  auto out = inspect_snapshot(bytes, 2);
  REQUIRE(out.ok());
  auto j = nlohmann::json::parse(*out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["schema_version"] == 1);
  CHECK(j["min_engine"] == 1);
  CHECK(j["version"] == "v7");
  CHECK(j["built_at"] == 1763596800);
  CHECK(j["tenant"]["id"] == "acme");
  CHECK(j["sha256"] == sha256_hex(std::span<const uint8_t>(bytes)));
  CHECK(j["bytes"] == bytes.size());
  CHECK(j["counts"] == nlohmann::json::parse(R"({"sites":2,"categories":4,"brands":3,"items":4,"attributes":3,
      "collections":1,"strategies":2,"slots":4,"rules":5,"deny_lists":3})"));
  CHECK(j["attributes"][1] == nlohmann::json::parse(R"({"name":"color","type":"categorical","values":2})"));
  CHECK(j["embedding"] == nlohmann::json::parse(R"({"dim":3,"format":"f32"})"));
  CHECK(j["strategies"][1]["terms"] ==
        nlohmann::json::parse(R"(["category_affinity","brand_affinity","attribute_affinity","similar","recency"])"));
  REQUIRE(j["items"].size() == 2);
  CHECK(j["items"][0] == nlohmann::json::parse(
                             R"({"id":"b2","title":"Bravo","category":"running","brand":"swift","price":120.0})"));
  CHECK(j["items"][1]["price"] == 80.5);
  auto plain = nlohmann::json::parse(inspect_snapshot(bytes, 0).value(), nullptr, false);
  CHECK_FALSE(plain.contains("items"));
}

TEST_CASE("sync inspect: a wrong file identifier is refused") {
  TempDir dir;
  auto bytes = fixture_snapshot(dir);
  std::memcpy(bytes.data() + 4, "TPRF", 4);
  auto out = inspect_snapshot(bytes);
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().code() == Code::kSnapshotIdentifier);
  CHECK(out.status().message().find("'TPRF', expected 'TSNP'") != std::string::npos);
}

TEST_CASE("sync inspect: truncated and corrupt snapshots are refused") {
  TempDir dir;
  auto bytes = fixture_snapshot(dir);
  for (size_t n : {size_t(0), size_t(7), bytes.size() / 2, bytes.size() - 8}) {
    CAPTURE(n);
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
    auto out = inspect_snapshot(cut);
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().code() == Code::kSnapshotInvalid);
  }
  // A root offset pointing past the end.
  auto bad = bytes;
  bad[0] = 0xff;
  bad[1] = 0xff;
  CHECK(inspect_snapshot(bad).status().code() == Code::kSnapshotInvalid);
}

TEST_CASE("sync inspect: CLI exit codes") {
  TempDir dir;
  auto bytes = fixture_snapshot(dir);
  dir.write("ok.tsnap", std::string(bytes.begin(), bytes.end()));
  std::string wrong(bytes.begin(), bytes.end());
  wrong.replace(4, 4, "XXXX");
  dir.write("wrong.tsnap", wrong);
  dir.write("short.tsnap", std::string(bytes.begin(), bytes.begin() + 100));

  Argv ok{"inspect", (dir / "ok.tsnap").string(), "--items", "1"};
  CHECK(cmd_inspect(ok.argc(), ok.argv()) == kExitOk);
  Argv wrong_id{"inspect", (dir / "wrong.tsnap").string()};
  CHECK(cmd_inspect(wrong_id.argc(), wrong_id.argv()) == kExitSnapshot);
  Argv truncated{"inspect", (dir / "short.tsnap").string()};
  CHECK(cmd_inspect(truncated.argc(), truncated.argv()) == kExitSnapshot);
  Argv missing{"inspect", (dir / "missing.tsnap").string()};
  CHECK(cmd_inspect(missing.argc(), missing.argv()) == kExitIo);
  Argv none{"inspect"};
  CHECK(cmd_inspect(none.argc(), none.argv()) == kExitUsage);
  Argv bad_count{"inspect", (dir / "ok.tsnap").string(), "--items", "many"};
  CHECK(cmd_inspect(bad_count.argc(), bad_count.argv()) == kExitUsage);
}
