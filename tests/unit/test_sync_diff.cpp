// tailor diff: entities matched by id across two snapshots, field-level changes, counts, limits,
// and the command's exit codes.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

#include "commands.h"
#include "diff.h"
#include "file_io.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;
using nlohmann::ordered_json;

namespace {

// Owns the bytes a Snapshot reads in place.
struct Opened {
  std::vector<uint8_t> bytes;
  Snapshot snap;
};

Opened open_built(const BuildRun& run) {
  Opened o;
  o.bytes = run.snap.bytes;
  auto s = Snapshot::open(o.bytes);
  REQUIRE(s.ok());
  o.snap = std::move(*s);
  return o;
}

BuildRun fixture_build(const TempDir& dir, const nlohmann::json& config, std::optional<int64_t> built_at = {}) {
  BuildRun run = build_in(dir, config, built_at);
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  return run;
}

const ordered_json* find_entry(const ordered_json& section, const std::string& id) {
  for (const auto& e : section["list"])
    if (e["id"] == id) return &e;
  return nullptr;
}

// The fixture with: a1 cheaper and in stock, b2 gone, d4 new, B0 re-tagged and on every site,
// c3 re-titled with another embedding, a rule changed, one added, the collection reordered.
void write_changed_fixture(const TempDir& dir) {
  dir.write("categories.csv", kCategoriesCsv);
  dir.write("items.csv",
            "id,title,category,brand,price,popularity,published_at,stock,sites,embedding,rating,color,tags\n"
            "a1,Alpha,hiking,ridge,70,0,2025-06-01T00:00:00Z,3,us,0 0 2,3.5,blue,new|sale|new\n"
            "c3,Charlie the third,apparel,alpa,,1000,,,us|eu,1 0 0,,red,\n"
            "B0,Zed,running,swift,10,10,1700000000,2,,1 1 1,5,,waterproof|clearance\n"
            "d4,Delta,running,swift,55,10,1700000000,9,,,4,green,\n");
}

nlohmann::json changed_config() {
  nlohmann::json c = fixture_config();
  c["version"] = "v8";
  c["collections"][0]["items"] = {"a1", "c3"};
  c["rules"][0]["amount"] = 0.5;
  c["rules"][0]["slots"] = {"home"};
  c["rules"].push_back({{"id", "bury-d4"}, {"action", "bury"}, {"amount", 1}, {"match", {{"items", {"d4"}}}}});
  c["deny"]["items"] = {"c3"};
  return c;
}

}  // namespace

TEST_CASE("sync diff: a snapshot against itself and a rebuild with another version label is the same") {
  TempDir dir;
  write_fixture(dir);
  Opened a = open_built(fixture_build(dir, fixture_config()));
  nlohmann::json relabelled = fixture_config();
  relabelled["version"] = "v9";
  Opened b = open_built(fixture_build(dir, relabelled, 1800000000));
  ordered_json self = diff_snapshots(a.snap, a.snap);
  CHECK(self["same"] == true);
  CHECK(self["header"].empty());
  CHECK(self["sections"]["items"]["unchanged"] == 4);
  ordered_json r = diff_snapshots(a.snap, b.snap);
  CHECK(r["same"] == true);
  CHECK(r["header"]["version"] == ordered_json({{"from", "v7"}, {"to", "v9"}}));
  CHECK(r["header"]["built_at"]["to"] == 1800000000);
  for (const auto& [name, s] : r["sections"].items()) {
    INFO(name);
    CHECK(s["added"] == 0);
    CHECK(s["removed"] == 0);
    CHECK(s["changed"] == 0);
  }
  std::string text = render_diff_text(r);
  CHECK(text.find("no differences (header only: version \"v7\" -> \"v9\", built_at") != std::string::npos);
}

TEST_CASE("sync diff: items added, removed and changed field by field, matched by id") {
  TempDir old_dir, new_dir;
  write_fixture(old_dir);
  write_changed_fixture(new_dir);
  Opened a = open_built(fixture_build(old_dir, fixture_config()));
  Opened b = open_built(fixture_build(new_dir, changed_config()));
  ordered_json r = diff_snapshots(a.snap, b.snap);
  CHECK(r["same"] == false);
  const ordered_json& items = r["sections"]["items"];
  CHECK(items["added"] == 1);
  CHECK(items["removed"] == 1);
  CHECK(items["changed"] == 3);
  CHECK(items["unchanged"] == 0);
  CHECK(find_entry(items, "d4")->at("change") == "added");
  CHECK(find_entry(items, "b2")->at("change") == "removed");

  const ordered_json& a1 = find_entry(items, "a1")->at("fields");
  CHECK(a1["price"] == ordered_json({{"from", 80.5}, {"to", 70}}));
  CHECK(a1["stock"] == ordered_json({{"from", 0}, {"to", 3}}));
  CHECK_FALSE(a1.contains("title"));
  CHECK_FALSE(a1.contains("embedding"));

  const ordered_json& b0 = find_entry(items, "B0")->at("fields");
  CHECK(b0["attributes.labels"]["added_ids"] == ordered_json({"clearance"}));
  CHECK(b0["attributes.labels"]["removed"] == 0);
  CHECK(b0["sites"] == ordered_json({{"from", {"eu"}}, {"to", "all"}}));

  const ordered_json& c3 = find_entry(items, "c3")->at("fields");
  CHECK(c3["title"]["to"] == "Charlie the third");
  CHECK(c3.contains("embedding"));  // none (all zeros) -> 1 0 0
  CHECK_FALSE(c3.contains("price"));  // missing in both

  CHECK(items["fields"]["price"] == 1);
  // popularity is normalised over the catalog, so it moves for items whose raw value did not.
  CHECK(items["fields"].contains("title"));

  const ordered_json& rules = r["sections"]["rules"];
  CHECK(rules["added"] == 1);
  CHECK(rules["changed"] >= 1);
  const ordered_json& boost = find_entry(rules, "boost-sale")->at("fields");
  CHECK(boost["amount"] == ordered_json({{"from", 0.25}, {"to", 0.5}}));
  CHECK(boost["slots"]["removed_ids"] == ordered_json({"picks"}));

  const ordered_json& picks = find_entry(r["sections"]["collections"], "picks")->at("fields");
  CHECK(picks["items"]["reordered"] == true);
  const ordered_json& deny = find_entry(r["sections"]["deny_lists"], "all sites")->at("fields");
  CHECK(deny["items"]["removed_ids"] == ordered_json({"b2"}));
  CHECK(r["sections"]["strategies"]["changed"] == 0);

  std::string text = render_diff_text(r);
  INFO(text);
  CHECK(text.find("items: 1 added, 1 removed, 3 changed") != std::string::npos);
  CHECK(text.find("  + d4\n") != std::string::npos);
  CHECK(text.find("  - b2\n") != std::string::npos);
  CHECK(text.find("  ~ a1: price 80.5 -> 70, stock 0 -> 3") != std::string::npos);
  CHECK(text.find("attributes.labels +clearance") != std::string::npos);
  CHECK(text.find("amount 0.25 -> 0.5") != std::string::npos);
}

TEST_CASE("sync diff: --limit caps the listing, never the counts") {
  TempDir old_dir, new_dir;
  write_fixture(old_dir);
  write_changed_fixture(new_dir);
  Opened a = open_built(fixture_build(old_dir, fixture_config()));
  Opened b = open_built(fixture_build(new_dir, changed_config()));
  DiffOptions one;
  one.limit = 1;
  ordered_json r = diff_snapshots(a.snap, b.snap, one);
  CHECK(r["sections"]["items"]["list"].size() == 1);
  CHECK(r["sections"]["items"]["truncated"] == true);
  CHECK(r["sections"]["items"]["changed"] == 3);
  CHECK(render_diff_text(r).find("more not listed") != std::string::npos);
  DiffOptions all;
  all.limit = 0;
  CHECK(diff_snapshots(a.snap, b.snap, all)["sections"]["items"]["list"].size() == 5);
}

TEST_CASE("sync diff: price lists by scope and entries by item and quantity tier, accounts, segments") {
  TempDir dir;
  const auto example = std::filesystem::path(TAILOR_SOURCE_DIR) / "examples" / "b2b-manufacturer";
  std::filesystem::copy(example, dir.path() / "old", std::filesystem::copy_options::recursive);
  std::filesystem::copy(example, dir.path() / "new", std::filesystem::copy_options::recursive);
  std::string config;
  REQUIRE(read_text_file(example / "tailor.json", 1 << 20, config).ok());
  // New: acme's bolt tier price drops, a tier is added, a screw line removed; the volume list
  // gets a validity window; a segment and an account change.
  std::string prices;
  REQUIRE(read_text_file(example / "prices-acme.csv", 1 << 20, prices).ok());
  std::string changed = prices;
  changed.replace(changed.find("b100,0.32,1000"), 14, "b100,0.30,1000\nb100,0.25,5000");
  dir.write("new/prices-acme.csv", changed);
  auto cfg = nlohmann::json::parse(config);
  cfg["price_lists"][6]["valid_from"] = "2026-04-01T00:00:00Z";
  cfg["segments"].push_back({{"id", "trade"}, {"name", "Trade"}});
  cfg["roles"][0]["spending_limit"] = 2000;
  dir.write("new/tailor.json", cfg.dump());

  BuildOptions opts;
  BuildRun old_run, new_run;
  opts.config_path = dir.path() / "old" / "tailor.json";
  REQUIRE(build_snapshot(opts, old_run.snap, old_run.errors));
  opts.config_path = dir.path() / "new" / "tailor.json";
  INFO(joined(new_run.errors));
  REQUIRE(build_snapshot(opts, new_run.snap, new_run.errors));
  Opened a = open_built(old_run), b = open_built(new_run);
  ordered_json r = diff_snapshots(a.snap, b.snap);

  const ordered_json& pl = r["sections"]["price_lists"];
  CHECK(pl["changed"] == 2);
  const ordered_json& acme = find_entry(pl, "acme-contract")->at("fields")["entries"];
  CHECK(acme["added"] == 1);
  CHECK(acme["changed"] == 1);
  CHECK(acme["removed"] == 0);
  CHECK(acme["list"][0] == ordered_json({{"item", "b100"}, {"min_quantity", 1000}, {"from", 0.32}, {"to", 0.3}}));
  CHECK(acme["list"][1] == ordered_json({{"item", "b100"}, {"min_quantity", 5000}, {"from", nullptr}, {"to", 0.25}}));
  const ordered_json& volume = find_entry(pl, "volume")->at("fields");
  CHECK(volume["valid_from"]["from"] == 0);
  CHECK_FALSE(volume.contains("entries"));
  CHECK(r["sections"]["segments"]["added"] == 1);
  CHECK(find_entry(r["sections"]["roles"], "buyer")->at("fields")["spending_limit"] ==
        ordered_json({{"from", 1000}, {"to", 2000}}));
  CHECK(r["sections"]["items"]["changed"] == 0);
  CHECK(r["sections"]["accounts"]["changed"] == 0);
  std::string text = render_diff_text(r);
  INFO(text);
  CHECK(text.find("~ acme-contract: entries 1 added, 0 removed, 1 changed") != std::string::npos);
  CHECK(text.find("      b100 from 1,000: 0.32 -> 0.3") != std::string::npos);
}

TEST_CASE("sync diff: exit 0 same, 1 differ, 2 usage, 3 invalid snapshot, 4 unreadable") {
  TempDir old_dir, new_dir;
  write_fixture(old_dir);
  write_changed_fixture(new_dir);
  BuildRun a = fixture_build(old_dir, fixture_config());
  BuildRun b = fixture_build(new_dir, changed_config());
  const std::string pa = old_dir.write("a.tsnap", std::string(a.snap.bytes.begin(), a.snap.bytes.end())).string();
  const std::string pb = new_dir.write("b.tsnap", std::string(b.snap.bytes.begin(), b.snap.bytes.end())).string();
  const std::string junk = old_dir.write("junk.tsnap", "not a snapshot at all").string();
  Argv same{"diff", pa, pa};
  CHECK(cmd_diff(same.argc(), same.argv()) == kExitOk);
  Argv differ{"diff", pa, pb, "--json", "--limit", "0"};
  CHECK(cmd_diff(differ.argc(), differ.argv()) == 1);
  Argv one{"diff", pa};
  CHECK(cmd_diff(one.argc(), one.argv()) == kExitUsage);
  Argv bad_limit{"diff", pa, pb, "--limit", "-1"};
  CHECK(cmd_diff(bad_limit.argc(), bad_limit.argv()) == kExitUsage);
  Argv invalid{"diff", pa, junk};
  CHECK(cmd_diff(invalid.argc(), invalid.argv()) == kExitSnapshot);
  Argv missing{"diff", (old_dir / "nope.tsnap").string(), pb};
  CHECK(cmd_diff(missing.argc(), missing.argv()) == kExitIo);
  Argv help{"diff", "--help"};
  CHECK(cmd_diff(help.argc(), help.argv()) == kExitOk);
}
