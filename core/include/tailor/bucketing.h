// Experiment hashing and bucketing, compatible with the GrowthBook SDKs (same numbers for the
// same inputs, so assignments made here agree with GrowthBook's JS SDK; see docs/cli.md,
// `tailor experiment`). Strings are UTF-8 and are hashed as the UTF-16 code units JavaScript
// sees; all arithmetic is IEEE double, in the order the JS SDK performs it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace tailor {

// A half-open bucket range [start, end) on [0, 1).
struct BucketRange {
  double start = 0;
  double end = 0;
};

// FNV-1a 32-bit over the UTF-16 code units of the concatenation a + b (UTF-8 in; an invalid
// UTF-8 byte counts as U+FFFD).
uint32_t fnv32a_utf16(std::string_view a, std::string_view b = {});

// GrowthBook hash: v1 (fnv32a(value + seed) % 1000) / 1000; v2 (fnv32a(decimal(fnv32a(seed +
// value))) % 10000) / 10000; any other version -> nullopt.
std::optional<double> bucket_hash(std::string_view seed, std::string_view value, int version);

// GrowthBook getBucketRanges: coverage clamped to [0, 1]; weights of the wrong length or not
// summing to [0.99, 1.01] (or empty) -> equal weights; range i = [cum_i, cum_i + coverage * w_i].
std::vector<BucketRange> bucket_ranges(int num_variations, double coverage, std::span<const double> weights = {});

// GrowthBook chooseVariation: index of the first range with start <= n < end, or -1.
int choose_variation(double n, std::span<const BucketRange> ranges);

// GrowthBook inNamespace: n = bucket_hash("__" + id, user, 1); true when start <= n < end.
bool in_namespace(std::string_view user, std::string_view namespace_id, double start, double end);

}  // namespace tailor
