// Shared by the sync tests: a temporary directory with fixture files written from strings, and
// a one-call build of a snapshot from config text.
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "errors.h"
#include "snapshot_builder.h"
#include "tailor/engine.h"

namespace tailor::sync::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tailor-sync-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) std::abort();
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  // Writes `content` to `name` (bytes as given: no newline conversion).
  std::filesystem::path write(const std::string& name, std::string_view content) const {
    std::filesystem::path p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    return p;
  }

  std::string read(const std::string& name) const {
    std::ifstream f(path_ / name, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

 private:
  std::filesystem::path path_;
};

// Every message joined by newlines (for CHECK output and substring search).
// Runs a CLI command's entry point (cmd_keys, cmd_publish, ...) with `v` as its argv.
inline int run_cmd(int (*cmd)(int, char**), std::vector<std::string> v) {
  std::vector<char*> p;
  for (std::string& s : v) p.push_back(s.data());
  p.push_back(nullptr);
  return cmd(static_cast<int>(v.size()), p.data());
}

inline std::string joined(const ErrorList& errors) {
  std::string s;
  for (const std::string& m : errors.messages()) s += m + "\n";
  return s;
}

// True when some message contains `needle`.
inline bool has_error(const ErrorList& errors, std::string_view needle) {
  for (const std::string& m : errors.messages())
    if (m.find(needle) != std::string::npos) return true;
  return false;
}

struct BuildRun {
  bool ok = false;
  BuiltSnapshot snap;
  ErrorList errors;
};

// Writes `config` as dir/tailor.json and builds it.
inline BuildRun build_in(const TempDir& dir, const std::string& config, std::optional<int64_t> built_at = {}) {
  BuildRun run;
  BuildOptions opts;
  opts.config_path = dir.write("tailor.json", config);
  opts.built_at = built_at;
  run.ok = build_snapshot(opts, run.snap, run.errors);
  return run;
}

inline BuildRun build_in(const TempDir& dir, const nlohmann::json& config, std::optional<int64_t> built_at = {}) {
  return build_in(dir, config.dump(), built_at);
}

// Checks that a build failed with an error containing `needle`; returns every error, joined.
inline std::string check_build_failed(const BuildRun& run, std::string_view needle) {
  std::string all = joined(run.errors);
  INFO("errors:\n" << all);
  CHECK_FALSE(run.ok);
  CHECK(has_error(run.errors, needle));
  return all;
}

// A tenant built into its own temp dir and loaded into its own engine.
struct BuiltEngine {
  TempDir dir;
  BuildRun run;
  Engine engine;
};

// Writes `files` ({name, content}) into b.dir, builds `config` there and loads the snapshot into
// b.engine; the build's errors are shown when it fails.
inline void build_and_load(BuiltEngine& b, const nlohmann::json& config,
                           std::initializer_list<std::pair<const char*, std::string_view>> files) {
  for (const auto& [name, content] : files) b.dir.write(name, content);
  b.run = build_in(b.dir, config);
  INFO(joined(b.run.errors));
  REQUIRE(b.run.ok);
  REQUIRE(b.engine.load_snapshot(b.run.snap.bytes).ok());
}

// Loads a built snapshot into a fresh engine and decides `request` (which must succeed).
inline nlohmann::json decide_built(const BuildRun& run, const std::string& request) {
  Engine e;
  REQUIRE(e.load_snapshot(run.snap.bytes).ok());
  Status st = e.decide(request, {});
  INFO(st.message());
  REQUIRE(st.ok());
  return nlohmann::json::parse(e.output());
}

// argv for calling a command function directly.
class Argv {
 public:
  Argv(std::initializer_list<std::string> args) : args_(args) {
    for (std::string& a : args_) ptrs_.push_back(a.data());
    ptrs_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(args_.size()); }
  char** argv() { return ptrs_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> ptrs_;
};

// ---- the shared catalog fixture ----

inline constexpr const char* kCategoriesCsv =
    "id,name,parent\n"
    "footwear,Footwear,\n"
    "running,Running,footwear\n"
    "hiking,Hiking,footwear\n"
    "apparel,Apparel,\n";

// Four items that exercise every column: ids out of byte order, a missing price, stock and
// embedding, site lists, duplicate tags, an item without category-independent attributes.
inline constexpr const char* kItemsCsv =
    "id,title,category,brand,price,popularity,published_at,stock,sites,embedding,rating,color,tags\n"
    "b2,Bravo,running,swift,120,100,1750000000,5,,3 4 0,4.5,red,sale|new\n"
    "a1,Alpha,hiking,ridge,80.5,0,2025-06-01T00:00:00Z,0,us,0 0 2,3.5,blue,new|sale|new\n"
    "c3,\"Charlie, \"\"the\"\" third\",apparel,alpa,,1000,,,us|eu,,,red,\n"
    "B0,Zed,running,swift,10,10,1700000000,2,eu,1 1 1,5,,waterproof\n";

// The same items as NDJSON (JSON types where JSON has them).
inline constexpr const char* kItemsNdjson =
    "{\"id\":\"b2\",\"title\":\"Bravo\",\"category\":\"running\",\"brand\":\"swift\",\"price\":120,\"popularity\":100,"
    "\"published_at\":1750000000,\"stock\":5,\"embedding\":[3,4,0],\"rating\":4.5,\"color\":\"red\",\"tags\":[\"sale\",\"new\"]}\n"
    "{\"id\":\"a1\",\"title\":\"Alpha\",\"category\":\"hiking\",\"brand\":\"ridge\",\"price\":80.5,\"popularity\":0,"
    "\"published_at\":\"2025-06-01T00:00:00Z\",\"stock\":0,\"sites\":[\"us\"],\"embedding\":\"0 0 2\",\"rating\":\"3.5\","
    "\"color\":\"blue\",\"tags\":\"new|sale|new\"}\n"
    "\n"
    "{\"id\":\"c3\",\"title\":\"Charlie, \\\"the\\\" third\",\"category\":\"apparel\",\"brand\":\"alpa\",\"price\":null,"
    "\"popularity\":1000,\"sites\":[\"us\",\"eu\"],\"color\":\"red\",\"tags\":[]}\n"
    "{\"id\":\"B0\",\"title\":\"Zed\",\"category\":\"running\",\"brand\":\"swift\",\"price\":10,\"popularity\":10,"
    "\"published_at\":1700000000,\"stock\":2,\"sites\":\"eu\",\"embedding\":[1,1,1],\"rating\":5,\"tags\":[\"waterproof\"],"
    "\"extra\":{\"ignored\":true}}\n";

inline void write_fixture(const TempDir& dir) {
  dir.write("categories.csv", kCategoriesCsv);
  dir.write("items.csv", kItemsCsv);
}

inline nlohmann::json fixture_config() {
  return nlohmann::json::parse(R"({
    "schema": 1,
    "tenant": {"id": "acme", "name": "Acme"},
    "version": "v7",
    "built_at": "2025-11-20T00:00:00Z",
    "sites": [{"id": "us", "currency": "USD"}, {"id": "eu", "currency": "EUR", "locale": "de-DE"}],
    "categories": {"path": "categories.csv"},
    "items": {"path": "items.csv"},
    "attributes": [
      {"name": "rating", "type": "number"},
      {"name": "color", "type": "categorical"},
      {"name": "labels", "type": "tags", "column": "tags"}
    ],
    "embedding": {"dim": 3},
    "collections": [{"id": "picks", "items": ["c3", "a1"]}],
    "deny": {"items": ["c3", "b2"], "sites": {"eu": ["a1"], "us": ["B0", "c3", "B0"]}},
    "strategies": [
      {"id": "popular", "terms": [
        {"kind": "popularity", "weight": 1, "half_life_days": 365},
        {"kind": "attribute", "attribute": "rating", "weight": 0.5}]},
      {"id": "personal", "terms": [
        {"kind": "category_affinity"},
        {"kind": "brand_affinity", "weight": 0.5},
        {"kind": "attribute_affinity", "attribute": "labels", "weight": 0.3},
        {"kind": "embedding", "name": "similar"},
        {"kind": "recency", "half_life_days": 30}]}
    ],
    "slots": [
      {"id": "home", "strategy": "popular"},
      {"id": "running", "strategy": "personal", "source": {"kind": "category", "id": "running"},
       "size": 3, "max_size": 6, "in_stock_only": false},
      {"id": "picks", "strategy": "popular", "source": {"kind": "collection", "id": "picks"},
       "exclude_viewed": true, "exclude_purchased": false},
      {"id": "compare", "strategy": "popular", "source": {"kind": "request"}}
    ],
    "rules": [
      {"id": "boost-sale", "action": "boost", "amount": 0.25, "slots": ["home", "picks"],
       "match": {"attribute": "labels", "values": ["sale"]}},
      {"id": "bury-ridge-hiking", "action": "bury", "amount": 1, "sites": ["eu"],
       "match": {"categories": ["hiking"], "brands": ["ridge"]},
       "schedule": {"start": "2026-01-01T00:00:00Z", "end": 1772323200}},
      {"id": "pin-two", "action": "pin", "position": 2, "match": {"items": ["c3", "a1"]}},
      {"id": "low-rated", "action": "exclude", "match": {"number": {"attribute": "rating", "max": 4}}},
      {"id": "compare-red", "action": "exclude", "slots": ["compare"], "match": {"attribute": "color", "values": ["red"]}}
    ]
  })",
                               nullptr, false);
}

}  // namespace tailor::sync::test
