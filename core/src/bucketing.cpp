// GrowthBook-compatible hashing and bucketing (see tailor/bucketing.h). Written to match the
// behaviour of GrowthBook's JS SDK (packages/sdk-js/src/util.ts) number for number.
#include "tailor/bucketing.h"

#include <string>

namespace tailor {
namespace {

constexpr uint32_t kFnvOffset = 0x811c9dc5u;
constexpr uint32_t kFnvPrime = 0x01000193u;

// JS: hval ^= code unit; hval += (hval<<1)+(hval<<4)+(hval<<7)+(hval<<8)+(hval<<24); all modulo
// 2^32, which is hval * 16777619 mod 2^32.
inline uint32_t fnv_step(uint32_t h, uint32_t unit) { return (h ^ unit) * kFnvPrime; }

// Decodes one code point from UTF-8 at s[i], advancing i; malformed input yields U+FFFD and
// consumes one byte.
uint32_t next_code_point(std::string_view s, size_t& i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  size_t len = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; min = 0x80; }
  else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; min = 0x800; }
  else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; min = 0x10000; }
  else { ++i; return 0xFFFD; }
  if (i + len > s.size()) { ++i; return 0xFFFD; }
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<uint8_t>(s[i + k]);
    if ((b & 0xC0) != 0x80) { ++i; return 0xFFFD; }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { ++i; return 0xFFFD; }
  i += len;
  return cp;
}

uint32_t fnv_update(uint32_t h, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint32_t cp = next_code_point(s, i);
    if (cp >= 0x10000) {  // surrogate pair, as String.prototype.charCodeAt sees it
      const uint32_t v = cp - 0x10000;
      h = fnv_step(h, 0xD800 + (v >> 10));
      h = fnv_step(h, 0xDC00 + (v & 0x3FF));
    } else {
      h = fnv_step(h, cp);
    }
  }
  return h;
}

}  // namespace

uint32_t fnv32a_utf16(std::string_view a, std::string_view b) { return fnv_update(fnv_update(kFnvOffset, a), b); }

std::optional<double> bucket_hash(std::string_view seed, std::string_view value, int version) {
  if (version == 2) {
    const std::string inner = std::to_string(fnv32a_utf16(seed, value));
    return static_cast<double>(fnv32a_utf16(inner) % 10000u) / 10000.0;
  }
  if (version == 1) return static_cast<double>(fnv32a_utf16(value, seed) % 1000u) / 1000.0;
  return std::nullopt;
}

std::vector<BucketRange> bucket_ranges(int num_variations, double coverage, std::span<const double> weights) {
  if (coverage < 0) coverage = 0;
  else if (coverage > 1) coverage = 1;

  std::vector<double> equal;
  if (num_variations > 0) equal.assign(static_cast<size_t>(num_variations), 1.0 / num_variations);

  std::span<const double> w = weights;
  if (w.size() != equal.size()) w = equal;  // wrong length (an absent list is empty)
  double total = 0;
  for (double x : w) total = x + total;
  if (total < 0.99 || total > 1.01) w = equal;

  std::vector<BucketRange> out;
  out.reserve(w.size());
  double cumulative = 0;
  for (double x : w) {
    const double start = cumulative;
    cumulative += x;
    out.push_back({start, start + coverage * x});
  }
  return out;
}

int choose_variation(double n, std::span<const BucketRange> ranges) {
  for (size_t i = 0; i < ranges.size(); ++i)
    if (n >= ranges[i].start && n < ranges[i].end) return static_cast<int>(i);
  return -1;
}

bool in_namespace(std::string_view user, std::string_view namespace_id, double start, double end) {
  std::string seed = "__";
  seed.append(namespace_id);
  const std::optional<double> n = bucket_hash(seed, user, 1);
  return n && *n >= start && *n < end;
}

}  // namespace tailor
