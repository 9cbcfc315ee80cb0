// Deterministic bandit sampling (see tailor/bandit.h). Every operation is an IEEE basic
// operation or sqrt, in a fixed order, compiled without FP contraction (cmake/flags.cmake).
#include "tailor/bandit.h"

#include <cmath>
#include <cstring>

namespace tailor {

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::uniform_open() {
  // (k + 0.5) / 2^53 for k in [0, 2^53): strictly inside (0, 1).
  return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53;
}

uint64_t bandit_seed(std::string_view a, std::string_view b, std::string_view c) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto feed = [&h](std::string_view s) {
    for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
  };
  feed(a);
  h = (h ^ 0x1f) * 0x100000001b3ull;
  feed(b);
  h = (h ^ 0x1f) * 0x100000001b3ull;
  feed(c);
  return h;
}

double log_det(double x) {
  if (x != x || x < 0) return NAN;
  if (x == 0) return -INFINITY;
  if (x == INFINITY) return INFINITY;
  int e = 0;
  if (x < 0x1.0p-1022) {  // subnormal: scale into the normal range first (exact)
    x *= 0x1.0p54;
    e = -54;
  }
  // x = m * 2^k with m in [sqrt(1/2), sqrt(2)): exponent and mantissa from the bits (exact).
  uint64_t bits;  // std::bit_cast is missing from the Emscripten (clang 14) libc++
  std::memcpy(&bits, &x, sizeof bits);
  e += static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  const uint64_t mbits = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
  double m;
  std::memcpy(&m, &mbits, sizeof m);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  // log m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m - 1) / (m + 1), |s| <= 0.1716.
  const double s = (m - 1.0) / (m + 1.0);
  const double z = s * s;
  double p = 1.0 / 25.0;
  for (int k = 11; k >= 0; --k) p = 1.0 / (2 * k + 1) + z * p;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double de = static_cast<double>(e);
  return (de * kLn2Hi + (2.0 * s * p + de * kLn2Lo));
}

double normal_sample(Rng& rng) {
  for (;;) {
    const double u = 2.0 * rng.uniform() - 1.0;
    const double v = 2.0 * rng.uniform() - 1.0;
    const double s = u * u + v * v;
    if (s >= 1.0 || s == 0.0) continue;
    return u * std::sqrt(-2.0 * log_det(s) / s);
  }
}

double gamma_sample(Rng& rng, double shape) {
  if (!(shape >= 1.0)) shape = 1.0;
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  // Acceptance is > 95% per round for shape >= 1; the cap only bounds a pathological PRNG run.
  for (int round = 0; round < 1000; ++round) {
    double x = 0, v = 0;
    do {
      x = normal_sample(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.uniform_open();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * (x2 * x2)) return d * v;
    if (log_det(u) < 0.5 * x2 + d * (1.0 - v + log_det(v))) return d * v;
  }
  return d;
}

double beta_sample(Rng& rng, double a, double b) {
  const double x = gamma_sample(rng, a);
  const double y = gamma_sample(rng, b);
  return x / (x + y);
}

int greedy_arm(std::span<const double> successes, std::span<const double> trials) {
  int best = 0;
  double best_mean = -1;
  for (size_t k = 0; k < successes.size(); ++k) {
    const double mean = (successes[k] + 1.0) / (trials[k] + 2.0);
    if (mean > best_mean) {
      best_mean = mean;
      best = static_cast<int>(k);
    }
  }
  return best;
}

int thompson_arm(Rng& rng, std::span<const double> successes, std::span<const double> trials) {
  int best = 0;
  double best_draw = -1;
  for (size_t k = 0; k < successes.size(); ++k) {
    const double draw = beta_sample(rng, successes[k] + 1.0, trials[k] - successes[k] + 1.0);
    if (draw > best_draw) {
      best_draw = draw;
      best = static_cast<int>(k);
    }
  }
  return best;
}

void thompson_propensities(uint64_t seed, uint32_t draws, std::span<const double> successes,
                           std::span<const double> trials, std::span<double> out) {
  for (double& p : out) p = 0;
  if (draws == 0 || successes.empty()) return;
  Rng rng(seed);
  for (uint32_t i = 0; i < draws; ++i) out[static_cast<size_t>(thompson_arm(rng, successes, trials))] += 1.0;
  for (double& p : out) p /= static_cast<double>(draws);
}

int epsilon_greedy_arm(Rng& rng, double epsilon, int greedy, int arms) {
  if (arms <= 0) return -1;
  const double u = rng.uniform();
  if (!(u < epsilon)) return greedy;
  int k = static_cast<int>(rng.uniform() * arms);
  return k < arms ? k : arms - 1;
}

double epsilon_greedy_propensity(double epsilon, int greedy, int arms, int arm) {
  if (arms <= 0) return 0;
  const double explore = epsilon / arms;
  return arm == greedy ? (1.0 - epsilon) + explore : explore;
}

}  // namespace tailor
