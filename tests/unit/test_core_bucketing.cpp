// GrowthBook-compatible hashing and bucketing (core/bucketing.h) and `tailor experiment`.
//
// The vectors below are copied verbatim from the GrowthBook SDK's shared test cases,
// growthbook/growthbook packages/sdk-js/test/cases.json (specVersion 0.5.4), sections "hash",
// "getBucketRange", "chooseVariation" and "inNamespace". GrowthBook's own harness
// (packages/sdk-js/test/json.test.ts) compares hashes exactly and bucket ranges after
// Math.floor(n * 1e8) / 1e8; so do we.
#include <doctest/doctest.h>

#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "tailor/bucketing.h"

using tailor::BucketRange;

namespace {

struct HashCase {
  const char* seed;
  const char* value;
  int version;
  std::optional<double> expected;
};

// cases.json "hash": [seed, value, version, expected]
const HashCase kHashCases[] = {
    {"", "a", 1, 0.22},
    {"", "b", 1, 0.077},
    {"b", "a", 1, 0.946},
    {"ef", "d", 1, 0.652},
    {"asdf", "8952klfjas09ujk", 1, 0.549},
    {"", "123", 1, 0.011},
    {"", "___)((*\":&", 1, 0.563},
    {"seed", "a", 2, 0.0505},
    {"seed", "b", 2, 0.2696},
    {"foo", "ab", 2, 0.2575},
    {"foo", "def", 2, 0.2019},
    {"89123klj", "8952klfjas09ujkasdf", 2, 0.124},
    {"90850943850283058242805", "123", 2, 0.7516},
    {"()**(%$##$%#$#", "___)((*\":&", 2, 0.0128},
    {"abc", "def", 99, std::nullopt},
};

struct RangeCase {
  const char* name;
  int num_variations;
  double coverage;
  std::vector<double> weights;  // empty: null
  std::vector<BucketRange> expected;
};

// cases.json "getBucketRange": [name, [numVariations, coverage, weights|null], expected]
const RangeCase kRangeCases[] = {
    {"normal 50/50", 2, 1, {}, {{0, 0.5}, {0.5, 1}}},
    {"reduced coverage", 2, 0.5, {}, {{0, 0.25}, {0.5, 0.75}}},
    {"zero coverage", 2, 0, {}, {{0, 0}, {0.5, 0.5}}},
    {"4 variations", 4, 1, {}, {{0, 0.25}, {0.25, 0.5}, {0.5, 0.75}, {0.75, 1}}},
    {"uneven weights", 2, 1, {0.4, 0.6}, {{0, 0.4}, {0.4, 1}}},
    {"uneven weights, 3 variations", 3, 1, {0.2, 0.3, 0.5}, {{0, 0.2}, {0.2, 0.5}, {0.5, 1}}},
    {"uneven weights, reduced coverage, 3 variations", 3, 0.2, {0.2, 0.3, 0.5}, {{0, 0.04}, {0.2, 0.26}, {0.5, 0.6}}},
    {"negative coverage", 2, -0.2, {}, {{0, 0}, {0.5, 0.5}}},
    {"coverage above 1", 2, 1.5, {}, {{0, 0.5}, {0.5, 1}}},
    {"weights sum below 1", 2, 1, {0.4, 0.1}, {{0, 0.5}, {0.5, 1}}},
    {"weights sum above 1", 2, 1, {0.7, 0.6}, {{0, 0.5}, {0.5, 1}}},
    {"weights.length not equal to num variations", 4, 1, {0.4, 0.4, 0.2}, {{0, 0.25}, {0.25, 0.5}, {0.5, 0.75}, {0.75, 1}}},
    {"weights sum almost equals 1", 2, 1, {0.4, 0.5999}, {{0, 0.4}, {0.4, 0.9999}}},
};

struct ChooseCase {
  const char* name;
  double n;
  std::vector<BucketRange> ranges;
  int expected;
};

// cases.json "chooseVariation": [name, hash, ranges, expected]
const ChooseCase kChooseCases[] = {
    {"even range, 0.2", 0.2, {{0, 0.5}, {0.5, 1}}, 0},
    {"even range, 0.4", 0.4, {{0, 0.5}, {0.5, 1}}, 0},
    {"even range, 0.6", 0.6, {{0, 0.5}, {0.5, 1}}, 1},
    {"even range, 0.8", 0.8, {{0, 0.5}, {0.5, 1}}, 1},
    {"even range, 0", 0, {{0, 0.5}, {0.5, 1}}, 0},
    {"even range, 0.5", 0.5, {{0, 0.5}, {0.5, 1}}, 1},
    {"reduced range, 0.2", 0.2, {{0, 0.25}, {0.5, 0.75}}, 0},
    {"reduced range, 0.4", 0.4, {{0, 0.25}, {0.5, 0.75}}, -1},
    {"reduced range, 0.6", 0.6, {{0, 0.25}, {0.5, 0.75}}, 1},
    {"reduced range, 0.8", 0.8, {{0, 0.25}, {0.5, 0.75}}, -1},
    {"reduced range, 0.25", 0.25, {{0, 0.25}, {0.5, 0.75}}, -1},
    {"reduced range, 0.5", 0.5, {{0, 0.25}, {0.5, 0.75}}, 1},
    {"zero range", 0.5, {{0, 0.5}, {0.5, 0.5}, {0.5, 1}}, 2},
};

struct NamespaceCase {
  const char* name;
  const char* user;
  const char* id;
  double start, end;
  bool expected;
};

// cases.json "inNamespace": [name, id, [namespace, start, end], expected]
const NamespaceCase kNamespaceCases[] = {
    {"user 1, namespace1, 1", "1", "namespace1", 0, 0.4, false},
    {"user 1, namespace1, 2", "1", "namespace1", 0.4, 1, true},
    {"user 1, namespace2, 1", "1", "namespace2", 0, 0.4, false},
    {"user 1, namespace2, 2", "1", "namespace2", 0.4, 1, true},
    {"user 2, namespace1, 1", "2", "namespace1", 0, 0.4, false},
    {"user 2, namespace1, 2", "2", "namespace1", 0.4, 1, true},
    {"user 2, namespace2, 1", "2", "namespace2", 0, 0.4, false},
    {"user 2, namespace2, 2", "2", "namespace2", 0.4, 1, true},
    {"user 3, namespace1, 1", "3", "namespace1", 0, 0.4, false},
    {"user 3, namespace1, 2", "3", "namespace1", 0.4, 1, true},
    {"user 3, namespace2, 1", "3", "namespace2", 0, 0.4, true},
    {"user 3, namespace2, 2", "3", "namespace2", 0.4, 1, false},
    {"user 4, namespace1, 1", "4", "namespace1", 0, 0.4, false},
    {"user 4, namespace1, 2", "4", "namespace1", 0.4, 1, true},
    {"user 4, namespace2, 1", "4", "namespace2", 0, 0.4, true},
    {"user 4, namespace2, 2", "4", "namespace2", 0.4, 1, false},
};

// GrowthBook's harness rounding for bucket ranges.
double round8(double n) { return std::floor(n * 1e8) / 1e8; }

std::string run(const std::string& ndjson, int* exit_code = nullptr) {
  std::istringstream in(ndjson);
  std::ostringstream out;
  const int rc = run_experiment(in, out);
  if (exit_code) *exit_code = rc;
  return out.str();
}

}  // namespace

TEST_CASE("bucketing: hash matches the GrowthBook SDK vectors exactly") {
  for (const HashCase& c : kHashCases) {
    CAPTURE(c.seed);
    CAPTURE(c.value);
    CAPTURE(c.version);
    const auto h = tailor::bucket_hash(c.seed, c.value, c.version);
    REQUIRE(h.has_value() == c.expected.has_value());
    if (h) CHECK(*h == *c.expected);  // bit-exact, as toEqual in the SDK
  }
  CHECK_FALSE(tailor::bucket_hash("a", "b", 0).has_value());
  CHECK_FALSE(tailor::bucket_hash("a", "b", 3).has_value());
}

TEST_CASE("bucketing: fnv32a is FNV-1a over UTF-16 code units") {
  CHECK(tailor::fnv32a_utf16("") == 0x811c9dc5u);
  CHECK(tailor::fnv32a_utf16("a") == 0xe40c292cu);            // published FNV-1a test value
  CHECK(tailor::fnv32a_utf16("foobar") == 0xbf9cf968u);       // published FNV-1a test value
  CHECK(tailor::fnv32a_utf16("foo", "bar") == tailor::fnv32a_utf16("foobar"));
  // U+00E9 is one code unit 0xE9 (not the two UTF-8 bytes); U+1F600 is the pair D83D DE00.
  const uint32_t e_acute = (0x811c9dc5u ^ 0xE9u) * 0x01000193u;
  CHECK(tailor::fnv32a_utf16("\xC3\xA9") == e_acute);
  const uint32_t hi = (0x811c9dc5u ^ 0xD83Du) * 0x01000193u;
  CHECK(tailor::fnv32a_utf16("\xF0\x9F\x98\x80") == (hi ^ 0xDE00u) * 0x01000193u);
  // A stray continuation byte hashes as U+FFFD.
  CHECK(tailor::fnv32a_utf16("\x80") == tailor::fnv32a_utf16("\xEF\xBF\xBD"));
}

TEST_CASE("bucketing: bucket_ranges matches the GrowthBook SDK vectors") {
  for (const RangeCase& c : kRangeCases) {
    CAPTURE(c.name);
    const auto got = tailor::bucket_ranges(c.num_variations, c.coverage, c.weights);
    REQUIRE(got.size() == c.expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(round8(got[i].start) == round8(c.expected[i].start));
      CHECK(round8(got[i].end) == round8(c.expected[i].end));
    }
  }
  CHECK(tailor::bucket_ranges(0, 1).empty());
  CHECK(tailor::bucket_ranges(-1, 1).empty());
  // cases.json "getEqualWeights": [3, [0.33333333, 0.33333333, 0.33333333]]
  const auto thirds = tailor::bucket_ranges(3, 1);
  REQUIRE(thirds.size() == 3);
  CHECK(round8(thirds[1].end - thirds[1].start) == 0.33333333);
}

TEST_CASE("bucketing: choose_variation matches the GrowthBook SDK vectors") {
  for (const ChooseCase& c : kChooseCases) {
    CAPTURE(c.name);
    CHECK(tailor::choose_variation(c.n, c.ranges) == c.expected);
  }
  CHECK(tailor::choose_variation(0.5, {}) == -1);
}

TEST_CASE("bucketing: in_namespace matches the GrowthBook SDK vectors") {
  for (const NamespaceCase& c : kNamespaceCases) {
    CAPTURE(c.name);
    CHECK(tailor::in_namespace(c.user, c.id, c.start, c.end) == c.expected);
  }
}

TEST_CASE("bucketing cli: tailor experiment answers each NDJSON line") {
  int rc = -1;
  const std::string out = run(
      "{\"op\":\"hash\",\"seed\":\"\",\"value\":\"a\",\"version\":1}\n"
      "{\"op\":\"hash\",\"seed\":\"()**(%$##$%#$#\",\"value\":\"___)((*\\\":&\",\"version\":2}\n"
      "{\"op\":\"hash\",\"seed\":\"abc\",\"value\":\"def\",\"version\":99}\n"
      "{\"op\":\"bucket_ranges\",\"variations\":2,\"coverage\":0.5,\"weights\":null}\n"
      "{\"op\":\"bucket_ranges\",\"variations\":3,\"coverage\":0.2,\"weights\":[0.2,0.3,0.5]}\n"
      "{\"op\":\"bucket_ranges\",\"variations\":3}\r\n"
      "{\"op\":\"choose\",\"hash\":0.5,\"ranges\":[[0,0.5],[0.5,0.5],[0.5,1]]}\n"
      "{\"op\":\"choose\",\"hash\":0.4,\"ranges\":[[0,0.25],[0.5,0.75]]}\n"
      "{\"op\":\"in_namespace\",\"user\":\"3\",\"namespace\":[\"namespace2\",0,0.4]}\n"
      "{\"op\":\"in_namespace\",\"user\":\"3\",\"namespace\":[\"namespace2\",0.4,1]}\n",
      &rc);
  CHECK(rc == 0);
  // Expected numbers are what Node prints for the SDK's results (JSON.stringify).
  CHECK(out ==
        "{\"result\":0.22}\n"
        "{\"result\":0.0128}\n"
        "{\"result\":null}\n"
        "{\"result\":[[0,0.25],[0.5,0.75]]}\n"
        "{\"result\":[[0,0.04000000000000001],[0.2,0.26],[0.5,0.6]]}\n"
        "{\"result\":[[0,0.3333333333333333],[0.3333333333333333,0.6666666666666666],[0.6666666666666666,1]]}\n"
        "{\"result\":2}\n"
        "{\"result\":-1}\n"
        "{\"result\":true}\n"
        "{\"result\":false}\n");
}

TEST_CASE("bucketing cli: bad lines get an error line and the rest still run") {
  int rc = -1;
  const std::string out = run(
      "not json\n"
      "\n"
      "[1,2]\n"
      "{\"op\":\"nope\"}\n"
      "{\"op\":\"hash\",\"seed\":1,\"value\":\"a\",\"version\":1}\n"
      "{\"op\":\"bucket_ranges\",\"variations\":1.5}\n"
      "{\"op\":\"choose\",\"hash\":0.1,\"ranges\":[[0]]}\n"
      "{\"op\":\"in_namespace\",\"user\":\"1\",\"namespace\":[\"n\",0]}\n"
      "{\"op\":\"hash\",\"seed\":\"\",\"value\":\"b\",\"version\":1}\n",
      &rc);
  CHECK(rc == tailor::sync::kExitInput);
  std::istringstream lines(out);
  std::vector<std::string> got;
  for (std::string l; std::getline(lines, l);) got.push_back(l);
  REQUIRE(got.size() == 9);
  for (size_t i = 0; i < 8; ++i) {
    CAPTURE(got[i]);
    CHECK(got[i].rfind("{\"error\":\"line " + std::to_string(i + 1) + ": ", 0) == 0);
  }
  CHECK(got[3] == "{\"error\":\"line 4: unknown op 'nope' (hash, bucket_ranges, choose, in_namespace)\"}");
  CHECK(got[4] == "{\"error\":\"line 5: 'seed' must be a string\"}");
  CHECK(got[8] == "{\"result\":0.077}");
}

TEST_CASE("bucketing cli: --help exits 0, stray arguments exit 2") {
  char name[] = "experiment", help[] = "--help", extra[] = "extra", flag[] = "--nope";
  char* a[] = {name, help, nullptr};
  CHECK(cmd_experiment(2, a) == tailor::sync::kExitOk);
  char* b[] = {name, extra, nullptr};
  CHECK(cmd_experiment(2, b) == tailor::sync::kExitUsage);
  char* c[] = {name, flag, nullptr};
  CHECK(cmd_experiment(2, c) == tailor::sync::kExitUsage);
}
