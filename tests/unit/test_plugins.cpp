// Plugins (tailor/plugin.h, docs/plugins.md): the generated registry, parameter checks, the margin
// example end to end, the contract (plugins only see and return the eligible set; pins stay), load
// refusal of a snapshot that needs a plugin the engine lacks, and located build errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tailor/engine.h"
#include "tailor/plugin.h"
#include "test_sync_helpers.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;
using nlohmann::json;

namespace {

// ---- test plugins (registered through set_plugin_registry_for_testing) ----

// Every item any test filter or stage was shown, so tests can assert what plugins never saw.
std::set<uint32_t>& seen_by_plugins() {
  static std::set<uint32_t> s;
  return s;
}

// A filter that records what it sees and removes the item named by its `drop` parameter.
void spy_filter(const PluginContext& cx, std::span<const uint32_t> cand, std::span<uint8_t> keep) {
  std::string_view drop = cx.params.text("drop", "");
  for (size_t c = 0; c < cand.size(); ++c) {
    seen_by_plugins().insert(cand[c]);
    if (sv(cx.snap.items().ids()->Get(cand[c])) == drop) keep[c] = 0;
  }
}

// A stage that reverses the unpinned items, drops the last `drop` of them and notes the first.
uint32_t reverse_stage(const PluginContext& cx, std::span<const uint32_t> items, std::span<const float>,
                       std::span<uint32_t> order, std::span<std::string_view> notes) {
  for (uint32_t i : items) seen_by_plugins().insert(i);
  const auto n = static_cast<uint32_t>(items.size());
  const auto drop = std::min<uint32_t>(n, static_cast<uint32_t>(cx.params.number("drop", 0)));
  for (uint32_t j = 0; j < n; ++j) order[j] = n - 1 - j;
  if (n) notes[n - 1] = "moved to the top";
  return n - drop;
}

// A broken stage: returns one position twice (or past the end with `past_end`).
uint32_t broken_stage(const PluginContext& cx, std::span<const uint32_t> items, std::span<const float>,
                      std::span<uint32_t> order, std::span<std::string_view>) {
  if (items.empty()) return 0;
  order[0] = cx.params.number("past_end", 0) > 0 ? static_cast<uint32_t>(items.size()) : 0;
  if (items.size() > 1) order[1] = 0;
  return static_cast<uint32_t>(std::min<size_t>(items.size(), 2));
}

// A scorer giving every item a NaN: the pipeline counts it as 0.
void nan_scorer(const PluginContext&, std::span<const uint32_t>, std::span<float> out) {
  for (float& v : out) v = __builtin_nanf("");
}

constexpr ParamSpec kSpyParams[] = {{"drop", ParamType::kText, false, 0, 0, "item id to remove"}};
constexpr ParamSpec kReverseParams[] = {{"drop", ParamType::kNumber, false, 0, 100, "items to drop"}};
constexpr ParamSpec kBrokenParams[] = {{"past_end", ParamType::kNumber, false, 0, 1, "1: out of range"}};

constexpr Plugin kSpy = {"spy", PluginKind::kFilter, "records candidates", kSpyParams, nullptr, nullptr, spy_filter, nullptr};
constexpr Plugin kReverse = {"reverse", PluginKind::kStage, "reverses", kReverseParams, nullptr, nullptr, nullptr,
                             reverse_stage};
constexpr Plugin kBroken = {"broken", PluginKind::kStage, "invalid order", kBrokenParams, nullptr, nullptr, nullptr,
                            broken_stage};
constexpr Plugin kNan = {"nan", PluginKind::kScorer, "NaN values", {}, nullptr, nan_scorer, nullptr, nullptr};

// Installs a registry for the scope of a test (the built-in plugins plus the test ones).
class TestRegistry {
 public:
  explicit TestRegistry(std::vector<const Plugin*> extra = {&kSpy, &kReverse, &kBroken, &kNan}) {
    for (const Plugin* p : builtin_plugins()) plugins_.push_back(p);
    for (const Plugin* p : extra) plugins_.push_back(p);
    set_plugin_registry_for_testing(plugins_);
    seen_by_plugins().clear();
  }
  ~TestRegistry() { set_plugin_registry_for_testing({}); }

 private:
  std::vector<const Plugin*> plugins_;
};

// ---- a small tenant with costs ----

constexpr const char* kItems =
    "id,title,price,cost,stock,sites,popularity\n"
    "hi,High margin,100,20,5,,10\n"        // margin 0.8
    "mid,Mid margin,100,50,5,,20\n"        // 0.5
    "low,Low margin,100,90,5,,30\n"        // 0.1
    "nocost,No cost,100,,5,,40\n"          // unknown
    "gone,Out of stock,100,10,0,,50\n"     // hard filter: stock
    "euonly,EU only,100,10,5,eu,60\n"      // hard filter: site scope (request site us)
    "denied,Denied,100,10,5,,70\n"         // hard filter: deny list
    "policy,Policy,100,10,5,,80\n";        // hard filter: compliance (only in DE)

json plugin_config() {
  return json::parse(R"({
    "schema": 1,
    "tenant": {"id": "shop"},
    "version": "p1",
    "built_at": 1764633600,
    "sites": [{"id": "us"}, {"id": "eu"}],
    "items": {"path": "items.csv"},
    "attributes": [{"name": "cost", "type": "number"}],
    "deny": {"items": ["denied"]},
    "policies": [{"id": "de-only", "kind": "jurisdiction", "items": ["policy"], "only_in": ["DE"]}],
    "strategies": [{"id": "margin", "terms": [
      {"kind": "popularity", "weight": 0.1},
      {"kind": "plugin", "plugin": "margin", "weight": 2, "params": {"missing": 0.25}}]}],
    "slots": [
      {"id": "all", "strategy": "margin", "size": 10},
      {"id": "guarded", "strategy": "margin", "size": 10,
       "filters": [{"plugin": "min_margin", "name": "margin-floor", "params": {"min": 0.4}}]}
    ]
  })");
}

BuildRun build_plugin_tenant(const TempDir& dir, const json& cfg = plugin_config()) {
  dir.write("items.csv", kItems);
  return build_in(dir, cfg);
}

struct Decided {
  Status status;
  json out;
};

Decided decide_with(const std::vector<uint8_t>& snapshot, const std::string& request) {
  Engine engine;
  Status st = engine.load_snapshot(snapshot);
  if (!st.ok()) return {st, {}};
  st = engine.decide(request, {});
  return {st, st.ok() ? json::parse(engine.output()) : json()};
}

std::vector<std::string> ids_of(const json& slot) {
  std::vector<std::string> ids;
  for (const json& it : slot["items"]) ids.push_back(it["id"]);
  return ids;
}

const json* term_named(const json& item, const std::string& name) {
  for (const json& t : item["explain"]["terms"])
    if (t["name"] == name) return &t;
  return nullptr;
}

const char* kUsRequest = R"({"site": "us", "country": "US", "slots": [{"id": "all"}, {"id": "guarded"}]})";

}  // namespace

TEST_CASE("plugins: the generated registry holds the example plugins, each with the function of its kind") {
  auto reg = builtin_plugins();
  REQUIRE(find_plugin("margin") != nullptr);
  REQUIRE(find_plugin("min_margin") != nullptr);
  CHECK(find_plugin("margin")->kind == PluginKind::kScorer);
  CHECK(find_plugin("min_margin")->kind == PluginKind::kFilter);
  CHECK(find_plugin("nope") == nullptr);
  std::set<std::string> names;
  for (const Plugin* p : reg) {
    INFO(p->name);
    CHECK(names.insert(p->name).second);
    CHECK((p->score != nullptr) == (p->kind == PluginKind::kScorer));
    CHECK((p->filter != nullptr) == (p->kind == PluginKind::kFilter));
    CHECK((p->stage != nullptr) == (p->kind == PluginKind::kStage));
  }
  CHECK(plugin_names().find("margin, min_margin") != std::string::npos);
}

TEST_CASE("plugins: parameters are checked against the declared specs") {
  const Plugin& f = *find_plugin("min_margin");
  auto check = [&](std::vector<ParamValue> v) { return check_plugin_params(f, PluginParams(v)); };
  CHECK(check({{"min", false, 0.3, {}}}).ok());
  Status missing = check({});
  CHECK_FALSE(missing.ok());
  CHECK(missing.message().rfind("params.min: is required", 0) == 0);
  Status range = check({{"min", false, 1.5, {}}});
  CHECK(range.message() == "params.min: 1.5 is out of range [0, 1]");
  Status type = check({{"min", true, 0, "high"}});
  CHECK(type.message() == "params.min: expected a number, got the string 'high'");
  Status unknown = check({{"max", false, 0.3, {}}, {"min", false, 0.3, {}}});
  CHECK(unknown.message().rfind("params.max: unknown parameter of plugin 'min_margin'", 0) == 0);
  Status text = check({{"cost_attribute", false, 3, {}}, {"min", false, 0.3, {}}});
  CHECK(text.message() == "params.cost_attribute: expected a string, got 3");
}

TEST_CASE("plugins: margin scores column-at-a-time and explains its contribution per item") {
  TempDir dir;
  BuildRun run = build_plugin_tenant(dir);
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  Decided d = decide_with(run.snap.bytes, kUsRequest);
  REQUIRE(d.status.ok());
  const json& all = d.out["slots"][0];
  // 2 * margin + 0.1 * popularity: hi 1.6, mid 1.0, low 0.2, nocost 2 * 0.25 (missing).
  CHECK(ids_of(all) == std::vector<std::string>{"hi", "mid", "nocost", "low"});
  const json* t = term_named(all["items"][0], "margin");
  REQUIRE(t != nullptr);
  CHECK((*t)["value"].get<double>() == doctest::Approx(0.8));
  CHECK((*t)["weight"].get<double>() == doctest::Approx(2));
  CHECK((*t)["contribution"].get<double>() == doctest::Approx(1.6));
  const json* unknown = term_named(all["items"][2], "margin");
  REQUIRE(unknown != nullptr);
  CHECK((*unknown)["value"].get<double>() == doctest::Approx(0.25));
  // The filter's removals are counted under its label beside the hard-filter reasons.
  const json& guarded = d.out["slots"][1];
  CHECK(ids_of(guarded) == std::vector<std::string>{"hi", "mid", "nocost"});
  CHECK(guarded["filtered"]["plugin:margin-floor"] == 1);
  CHECK(guarded["filtered"]["out_of_stock"] == 1);
  CHECK(guarded["filtered"]["site_scope"] == 1);
  CHECK(guarded["filtered"]["deny_list"] == 1);
  CHECK(guarded["filtered"]["policy"] == 1);
}

TEST_CASE("plugins: filters and stages only see the eligible set and cannot resurrect or move pins") {
  TestRegistry reg;
  TempDir dir;
  json cfg = plugin_config();
  cfg["rules"] = json::parse(R"([{"id": "pin-low", "action": "pin", "position": 1, "match": {"items": ["low", "gone"]}}])");
  cfg["slots"][0]["filters"] = json::parse(R"([{"plugin": "spy", "params": {"drop": "mid"}}])");
  cfg["slots"][0]["stages"] = json::parse(R"([{"plugin": "reverse", "params": {"drop": 1}}])");
  BuildRun run = build_plugin_tenant(dir, cfg);
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  Decided d = decide_with(run.snap.bytes, R"({"site": "us", "country": "US", "slots": [{"id": "all"}]})");
  REQUIRE(d.status.ok());
  const json& slot = d.out["slots"][0];
  // Eligible: hi, mid, low, nocost. Spy drops mid; pin-low pins low (not the out-of-stock "gone")
  // at 1; reverse turns [hi, nocost] into [nocost, hi] and drops the last one.
  CHECK(ids_of(slot) == std::vector<std::string>{"low", "nocost"});
  CHECK(slot["items"][0]["pinned"] == "pin-low");
  CHECK(slot["filtered"]["plugin:spy"] == 1);
  CHECK(slot["filtered"]["plugin:reverse"] == 1);
  CHECK(slot["items"][1]["explain"]["stages"][0]["name"] == "reverse");
  CHECK(slot["items"][1]["explain"]["stages"][0]["note"] == "moved to the top");
  // No plugin was ever shown a hard-filtered item.
  Engine engine;
  REQUIRE(engine.load_snapshot(run.snap.bytes).ok());
  for (const char* id : {"gone", "euonly", "denied", "policy"}) {
    INFO(id);
    int32_t item = engine.snapshot()->find_item(id);
    REQUIRE(item >= 0);
    CHECK(seen_by_plugins().count(static_cast<uint32_t>(item)) == 0);
  }
  CHECK(seen_by_plugins().size() == 4);
}

TEST_CASE("plugins: a stage's invalid order fails the request, a scorer's NaN counts as 0") {
  TestRegistry reg;
  TempDir dir;
  json cfg = plugin_config();
  cfg["strategies"][0]["terms"].push_back(json::parse(R"({"kind": "plugin", "plugin": "nan"})"));
  cfg["slots"][0]["stages"] = json::parse(R"([{"plugin": "broken"}])");
  cfg["slots"][1]["stages"] = json::parse(R"([{"plugin": "broken", "params": {"past_end": 1}}])");
  BuildRun run = build_plugin_tenant(dir, cfg);
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  for (const char* slot : {"all", "guarded"}) {
    Decided d = decide_with(run.snap.bytes, std::string(R"({"site": "us", "slots": [{"id": ")") + slot + "\"}]}");
    CHECK(d.status.code() == Code::kInternal);
    CHECK(d.status.message().find("stage plugin 'broken'") != std::string::npos);
  }
  json no_stage = plugin_config();
  no_stage["strategies"][0]["terms"].push_back(json::parse(R"({"kind": "plugin", "plugin": "nan"})"));
  BuildRun ok = build_plugin_tenant(dir, no_stage);
  REQUIRE(ok.ok);
  Decided d = decide_with(ok.snap.bytes, kUsRequest);
  REQUIRE(d.status.ok());
  const json* t = term_named(d.out["slots"][0]["items"][0], "nan");
  REQUIRE(t != nullptr);
  CHECK((*t)["value"] == 0);
  CHECK(ids_of(d.out["slots"][0]) == std::vector<std::string>{"hi", "mid", "nocost", "low"});
}

TEST_CASE("plugins: an engine without a plugin the snapshot needs refuses it at load") {
  std::vector<uint8_t> bytes, plain;
  {
    TestRegistry reg;
    TempDir dir;
    json cfg = plugin_config();
    cfg["slots"][0]["stages"] = json::parse(R"([{"plugin": "reverse"}])");
    BuildRun run = build_plugin_tenant(dir, cfg);
    REQUIRE(run.ok);
    bytes = run.snap.bytes;
    json base = plugin_config();
    base["strategies"][0]["terms"].erase(1);
    base["slots"][1].erase("filters");
    BuildRun p = build_plugin_tenant(dir, base);
    REQUIRE(p.ok);
    plain = p.snap.bytes;
  }
  // The built-in registry has no "reverse": refused, and the previous snapshot keeps serving.
  Engine engine;
  REQUIRE(engine.load_snapshot(plain).ok());
  Status st = engine.load_snapshot(bytes);
  CHECK(st.code() == Code::kSnapshotIncompatible);
  CHECK(st.message().find("snapshot needs plugin 'reverse' (slot 'all' stage 1)") != std::string::npos);
  CHECK(st.message().find("plugins: margin, min_margin") != std::string::npos);
  REQUIRE(engine.snapshot() != nullptr);
  CHECK(engine.decide(kUsRequest, {}).ok());
  // An engine (and a tailor) built with other plugins refuses the margin example.
  TempDir dir;
  BuildRun margin = build_plugin_tenant(dir);
  REQUIRE(margin.ok);
  const Plugin* only_spy[] = {&kSpy};
  set_plugin_registry_for_testing(only_spy);
  Status refused = engine.load_snapshot(margin.snap.bytes);
  CHECK(refused.code() == Code::kSnapshotIncompatible);
  CHECK(refused.message().find("snapshot needs plugin 'margin' (strategy 'margin' term 2)") != std::string::npos);
  BuildRun again = build_plugin_tenant(dir);
  CHECK_FALSE(again.ok);
  CHECK(has_error(again.errors, "tailor.json: strategies[0].terms[1].plugin: unknown plugin 'margin' (this tailor has: spy;"));
  set_plugin_registry_for_testing({});
}

TEST_CASE("plugins: bad plugin uses fail the build at their config path") {
  TempDir dir;
  auto expect = [&](const std::function<void(json&)>& edit, const std::string& needle) {
    json cfg = plugin_config();
    edit(cfg);
    BuildRun run = build_plugin_tenant(dir, cfg);
    INFO("errors:\n" << joined(run.errors));
    CHECK_FALSE(run.ok);
    CHECK(run.snap.bytes.empty());
    CHECK(has_error(run.errors, needle));
  };
  expect([](json& c) { c["strategies"][0]["terms"][1]["plugin"] = "marg"; },
         "tailor.json: strategies[0].terms[1].plugin: unknown plugin 'marg' (this tailor has: margin, min_margin;");
  expect([](json& c) { c["strategies"][0]["terms"][1]["plugin"] = "min_margin"; },
         "tailor.json: strategies[0].terms[1].plugin: plugin 'min_margin' is a filter; this place takes a scorer");
  expect([](json& c) { c["slots"][1]["filters"][0]["plugin"] = "margin"; },
         "tailor.json: slots[1].filters[0].plugin: plugin 'margin' is a scorer; this place takes a filter");
  expect([](json& c) { c["slots"][1]["filters"][0]["params"] = json::object(); },
         "tailor.json: slots[1].filters[0].params.min: is required by plugin 'min_margin'");
  expect([](json& c) { c["slots"][1]["filters"][0]["params"]["min"] = 2; },
         "tailor.json: slots[1].filters[0].params.min: 2 is out of range [0, 1]");
  expect([](json& c) { c["slots"][1]["filters"][0]["params"]["minimum"] = 0.2; },
         "tailor.json: slots[1].filters[0].params.minimum: unknown parameter of plugin 'min_margin' (expected one of: min, "
         "cost_attribute, unknown)");
  expect([](json& c) { c["slots"][1]["filters"][0]["params"]["min"] = true; },
         "tailor.json: slots[1].filters[0].params.min: expected a number or a string, got boolean");
  expect([](json& c) { c["slots"][1]["filters"][0]["params"] = json::array(); },
         "tailor.json: slots[1].filters[0].params: expected an object");
  expect([](json& c) { c["slots"][1]["filters"] = json::object(); }, "tailor.json: slots[1].filters: expected an array");
  expect([](json& c) { c["slots"][1]["filters"][0].erase("plugin"); }, "tailor.json: slots[1].filters[0].plugin:");
  expect([](json& c) { c["strategies"][0]["terms"][0]["params"] = json::object(); },
         "tailor.json: strategies[0].terms[0].params: only plugin terms take a plugin and params");
  // Checks that need the built snapshot (the plugin's own): still located.
  expect([](json& c) { c["strategies"][0]["terms"][1]["params"]["cost_attribute"] = "unit_cost"; },
         "tailor.json: strategies[0].terms[1].params.cost_attribute: no attribute 'unit_cost'");
  expect([](json& c) { c["slots"][1]["filters"][0]["params"]["unknown"] = "drop"; },
         "tailor.json: slots[1].filters[0].params.unknown: 'drop' is not one of: keep, remove");
  expect(
      [](json& c) {
        json f = c["slots"][1]["filters"][0];
        c["slots"][1]["filters"] = json::array();
        for (int i = 0; i < 9; ++i) c["slots"][1]["filters"].push_back(f);
      },
      "tailor.json: slots[1].filters: 9 plugins, at most 8 per slot");
}

TEST_CASE("plugins: a stage moves each item's diversity note with the item") {
  TestRegistry reg;
  TempDir dir;
  json cfg = plugin_config();
  cfg["slots"][0]["diversity"] = json::parse(R"({"max_per_brand": 1})");
  cfg.erase("deny");
  cfg.erase("policies");
  dir.write("items.csv",
            "id,title,brand,price,cost,stock,sites,popularity\n"
            "hi,High margin,acme,100,20,5,,10\n"
            "mid,Mid margin,acme,100,50,5,,20\n"
            "low,Low margin,zeta,100,90,5,,30\n"
            "nocost,No cost,acme,100,,5,,40\n");
  auto slot_of = [&](const json& c) {
    BuildRun run = build_in(dir, c);
    INFO(joined(run.errors));
    REQUIRE(run.ok);
    Decided d = decide_with(run.snap.bytes, R"({"site": "us", "country": "US", "slots": [{"id": "all"}]})");
    REQUIRE(d.status.ok());
    return d.out["slots"][0];
  };
  const json plain = slot_of(cfg);
  // Brand cap 1: acme's hi stays first, zeta's low moves up from 4th, mid and nocost are demoted.
  REQUIRE(ids_of(plain) == std::vector<std::string>{"hi", "low", "mid", "nocost"});
  std::map<std::string, json> note;  // each item's note, its rank without diversity as score_rank
  for (const json& it : plain["items"])
    note[it["id"]] = it["explain"].value("diversity", json{{"score_rank", it["rank"]}});
  CHECK(note["mid"]["over_cap"] == "brand");
  CHECK(note["low"]["score_rank"] == 4);

  cfg["slots"][0]["stages"] = json::parse(R"([{"plugin": "reverse"}])");
  const json reversed = slot_of(cfg);
  REQUIRE(ids_of(reversed) == std::vector<std::string>{"nocost", "mid", "low", "hi"});
  for (const json& it : reversed["items"]) {
    INFO(it["id"]);
    REQUIRE(it["explain"].contains("diversity"));  // every item now sits off its score rank
    CHECK(it["explain"]["diversity"] == note[it["id"]]);
  }
}
